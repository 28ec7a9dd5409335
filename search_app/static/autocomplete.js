// Search-box completions from /api/suggest: an ARIA 1.2 combobox, usable by keyboard.
// The page works without this file; it only adds suggestions while typing.
(function () {
  "use strict";
  const input = document.getElementById("q");
  const list = document.getElementById("q-suggestions");
  if (!input || !list || !window.fetch) return;

  let items = [];
  let active = -1;
  let timer = null;
  let lastQuery = null;
  let controller = null;

  input.setAttribute("role", "combobox");
  input.setAttribute("aria-autocomplete", "list");
  input.setAttribute("aria-controls", list.id);
  input.setAttribute("aria-expanded", "false");

  function close() {
    list.hidden = true;
    list.replaceChildren();
    items = [];
    active = -1;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
  }

  function highlight(index) {
    active = index;
    items.forEach(function (item, i) {
      item.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0) {
      input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(index) {
    input.value = items[index].dataset.value;
    close();
    input.form.requestSubmit ? input.form.requestSubmit() : input.form.submit();
  }

  function show(suggestions) {
    // A late answer (typing went on) keeps the suggestion the arrow keys were on, if still offered.
    const kept = active >= 0 ? items[active].dataset.value : null;
    close();
    suggestions.forEach(function (suggestion, i) {
      const option = document.createElement("li");
      option.id = "q-option-" + i;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      option.dataset.value = suggestion.text;
      option.textContent = suggestion.text;  // text, never HTML
      const kind = document.createElement("span");
      kind.className = "suggestion-kind";
      kind.textContent = suggestion.kind;
      option.appendChild(kind);
      option.addEventListener("mousedown", function (event) {
        event.preventDefault();  // keep focus in the box
        choose(i);
      });
      list.appendChild(option);
      items.push(option);
    });
    if (items.length) {
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      const again = items.findIndex(function (item) { return item.dataset.value === kept; });
      if (again >= 0) highlight(again);
    }
  }

  function fetchSuggestions() {
    const query = input.value;
    if (query === lastQuery) return;
    lastQuery = query;
    if (!query.trim()) { close(); return; }
    if (controller) controller.abort();
    controller = new AbortController();
    fetch("/api/suggest?q=" + encodeURIComponent(query), { signal: controller.signal })
      .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
      .then(function (data) { if (input.value === query) show(data.suggestions || []); })
      .catch(function () { /* offline or aborted: no suggestions */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(fetchSuggestions, 120);
  });

  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown") {
      if (!items.length) { lastQuery = null; fetchSuggestions(); return; }
      event.preventDefault();
      highlight((active + 1) % items.length);
    } else if (event.key === "ArrowUp" && items.length) {
      event.preventDefault();
      highlight(active <= 0 ? items.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape" && items.length) {
      event.preventDefault();
      close();
    }
  });

  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();
