// tamtam's small glue on top of htmx: nothing here is third-party code.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
});

// --- Composer, review and settings pages --------------------------------------------------------
// Small progressive enhancements: every page works without them (forms post normally).

// Show a channel's variant card only while the channel is ticked.
document.addEventListener("change", (event) => {
  const box = event.target.closest && event.target.closest("[data-channel-toggle]");
  if (!box) return;
  const card = document.querySelector(`[data-variant="${box.dataset.channelToggle}"]`);
  if (card) card.hidden = !box.checked;
});

// Describe picked files (name, size, type) to the live checks before they are uploaded, and offer an
// alt-text field for each one.
document.addEventListener("change", (event) => {
  const input = event.target;
  if (!input.matches || !input.matches("input[type=file][data-upload]")) return;
  const form = input.form;
  const files = Array.from(input.files || []);
  const pending = form && form.querySelector("[data-pending-files]");
  if (pending) pending.value = JSON.stringify(files.map((f) => ({ name: f.name, size: f.size, type: f.type })));
  const alts = form && form.querySelector("[data-upload-alts]");
  if (!alts) return;
  alts.replaceChildren();
  files.forEach((file, index) => {
    const id = `upload-alt-${index}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = `${alts.dataset.altLabel || "Alt text"}: ${file.name}`;
    const field = document.createElement("input");
    field.type = "text";
    field.name = "upload_alt";
    field.id = id;
    field.maxLength = 1500;
    alts.append(label, field);
  });
});

// A spelling suggestion replaces the word in the field it came from, then the checks run again.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-replace-in]");
  if (!button) return;
  const field = document.getElementById(button.dataset.replaceIn);
  if (!field) return;
  const start = Number(button.dataset.start);
  const end = Number(button.dataset.end);
  const replacement = button.dataset.with;
  // Offsets count code points, as Python does; JS strings index UTF-16 units, hence Array.from.
  const chars = Array.from(field.value);
  const original = button.closest("li") && button.closest("li").dataset.word;
  if (Number.isInteger(start) && Number.isInteger(end) && end <= chars.length && (!original || chars.slice(start, end).join("") === original)) {
    field.value = chars.slice(0, start).join("") + replacement + chars.slice(end).join("");
  }
  field.dispatchEvent(new Event("input", { bubbles: true }));
  field.focus();
});

// A campaign brings its own UTM campaign name when the field is still empty.
document.addEventListener("change", (event) => {
  const select = event.target;
  if (!select.matches || !select.matches("#composer select[name=campaign]")) return;
  const data = document.getElementById("campaign-utms");
  const target = select.form.querySelector("input[name=utm_campaign]");
  if (!data || !target || target.value.trim()) return;
  target.value = JSON.parse(data.textContent)[select.value] || "";
});

// Copy buttons (client approval link, iCal address).
document.addEventListener("click", async (event) => {
  const button = event.target.closest && event.target.closest("[data-copy]");
  if (!button) return;
  const field = document.querySelector(button.dataset.copy);
  if (!field) return;
  field.select();
  try {
    await navigator.clipboard.writeText(field.value);
  } catch (_error) {
    document.execCommand("copy");
  }
  const label = button.textContent;
  button.textContent = "✓";
  setTimeout(() => { button.textContent = label; }, 1500);
});

// Ask before destructive actions.
document.addEventListener("click", (event) => {
  const button = event.target.closest && event.target.closest("[data-confirm]");
  if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
});
