// The return form's "Back on the shelf" rule, pure (no DOM) so `node --test tests/js/` checks
// it: perishable goods that came back (milk, bread, vegetables) are not sold again, so the box
// is unticked as soon as a chosen line is perishable and ticked when none is. With nothing
// chosen yet it says what the server rendered: unticked only if every line still returnable
// is perishable (posapp/services/returns.py restock_default).

/** Is this quantity field filled in with something to return ("1", "0.5"; not "", "0", "0.000")? */
export function isChosen(value) {
  return /[1-9]/.test(String(value ?? ""));
}

/**
 * Should the box be ticked for these lines?
 * @param {{returnable: boolean, chosen: boolean, perishable: boolean}[]} lines
 */
export function shelfTicked(lines) {
  const chosen = lines.filter((line) => line.returnable && line.chosen);
  if (chosen.length) return !chosen.some((line) => line.perishable);
  const open = lines.filter((line) => line.returnable);
  return !open.length || !open.every((line) => line.perishable);
}
