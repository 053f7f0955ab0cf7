"""Printable documents: QR codes, the A4 invoice PDF, receipts."""
