// Light touches only: copy buttons, the feed filter, and the CSRF header on htmx requests.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("button.copy");
  if (!button) return;
  const status = document.getElementById("copy-status");
  try {
    await navigator.clipboard.writeText(button.dataset.copy);
    button.dataset.done = "1";
    if (status) status.textContent = status.dataset.copied + ": " + button.dataset.copy;
  } catch (err) {
    // No clipboard (plain http, old browser): select the URL so the reader can copy it by hand.
    window.prompt("", button.dataset.copy);
  }
});

document.addEventListener("input", (event) => {
  const input = event.target;
  if (!input.dataset || !input.dataset.filter) return;
  const needle = input.value.trim().toLowerCase();
  document.querySelectorAll(input.dataset.filter).forEach((item) => {
    const text = (item.textContent + " " + (item.dataset.key || "")).toLowerCase();
    item.hidden = needle !== "" && !text.includes(needle);
  });
});

document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
