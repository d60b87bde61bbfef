// Keyboard shortcuts of the label review page: a key clicks the button of the same data-key in
// the current card (the one holding the focus, else the first); j and k move between cards.
"use strict";

(() => {
  const cards = () => Array.from(document.querySelectorAll(".review-card"));

  const current = () => {
    const focused = document.activeElement && document.activeElement.closest(".review-card");
    return focused || cards()[0] || null;
  };

  const move = (step) => {
    const all = cards();
    if (!all.length) return;
    const index = all.indexOf(current());
    const next = all[Math.min(all.length - 1, Math.max(0, index + step))];
    next.focus();
    next.scrollIntoView({block: "nearest"});
  };

  const typing = (target) => target.closest && target.closest("input, textarea, select, [contenteditable]");

  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    const key = event.key.toLowerCase();
    if (key === "j" || key === "k") {
      event.preventDefault();
      move(key === "j" ? 1 : -1);
      return;
    }
    const card = current();
    const button = card && card.querySelector(`button[data-key="${key}"]:not(:disabled)`);
    if (button) {
      event.preventDefault();
      button.click();
    }
  });

  // The reviewed card, new content in the page: go on with the next card, clear an old failure.
  document.addEventListener("htmx:load", (event) => {
    const card = event.detail.elt;
    if (!card.classList || !card.classList.contains("review-card")) return;
    document.getElementById("review-status").textContent = "";
    const all = cards();
    const next = all[all.indexOf(card) + 1];
    (next || card).focus();
  });

  // htmx swaps no 4xx or 5xx answer: say that the decision was not recorded.
  document.addEventListener("htmx:responseError", () => {
    const status = document.getElementById("review-status");
    if (status) status.textContent = status.dataset.failed;
  });
})();
