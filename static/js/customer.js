// The customer page: copy the reminder text to the clipboard.

for (const button of document.querySelectorAll("[data-copy-target]")) {
  button.addEventListener("click", async () => {
    const source = document.getElementById(button.dataset.copyTarget);
    const status = document.querySelector("[data-copy-status]");
    if (!source) return;
    try {
      await navigator.clipboard.writeText(source.value);
    } catch {
      // Older webviews without the async clipboard: select the text and use the legacy command.
      source.select();
      document.execCommand("copy");
    }
    if (status) status.textContent = "Copied.";
  });
}
