// tamtam's calendar page: FullCalendar (from npm, served under /static/vendor/) wired to tamtam's
// JSON endpoints. Times: the server sends wall-clock times of the zone being shown, without an offset,
// and FullCalendar runs with timeZone "UTC" used as a plain wall clock. A Date's UTC fields therefore
// *are* the wall clock; nothing here uses the browser's own zone.
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  // "2026-03-29T09:30:00" for a Date whose UTC fields hold the wall clock.
  function wallClock(date) {
    return date.toISOString().slice(0, 19);
  }

  // The current wall-clock time in `zone`, as a Date whose UTC fields hold it (for "today" and the
  // now line: FullCalendar's own notion of now would be real UTC).
  function wallClockNow(zone) {
    const parts = {};
    new Intl.DateTimeFormat("en-US", {
      timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit",
    }).formatToParts(new Date()).forEach((p) => { parts[p.type] = Number(p.value); });
    return new Date(Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second));
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([key, value]) => node.setAttribute(key, value));
    if (text) node.textContent = text;
    return node;
  }

  function init() {
    const host = document.getElementById("calendar");
    const configNode = document.getElementById("calendar-config");
    if (!host || !configNode || !window.FullCalendar) return;
    const config = JSON.parse(configNode.textContent);
    const texts = config.texts || {};
    const form = document.getElementById("calendar-filters");
    const messageBox = document.getElementById("calendar-message");
    let messageTimer = null;

    function show(text, kind) {
      if (!messageBox) return;
      messageBox.textContent = text;
      messageBox.className = "tt-cal-message flash flash-" + kind;
      messageBox.dataset.kind = kind;
      messageBox.hidden = false;
      clearTimeout(messageTimer);
      if (kind === "success") messageTimer = setTimeout(() => { messageBox.hidden = true; }, 5000);
    }

    function filterParams() {
      const params = {};
      if (form) {
        new FormData(form).forEach((value, key) => { if (value !== "") params[key] = value; });
      }
      if (config.cross) params.tz = config.timeZone;
      return params;
    }

    function syncUrl(calendar) {
      const url = new URL(window.location.href);
      const params = filterParams();
      ["channel", "campaign", "pillar", "state", "workspace"].forEach((key) => {
        if (params[key]) url.searchParams.set(key, params[key]); else url.searchParams.delete(key);
      });
      if (calendar) {
        url.searchParams.set("view", calendar.view.type);
        url.searchParams.set("date", wallClock(calendar.view.currentStart).slice(0, 10));
      }
      window.history.replaceState(null, "", url);
    }

    function onFailure() { show(texts.failed, "error"); }

    const sources = [{ id: "targets", url: config.eventsUrl, extraParams: filterParams, failure: onFailure }];
    if (config.loadUrl) sources.push({ id: "load", url: config.loadUrl, extraParams: filterParams, failure: onFailure });
    // Good times to post (analytics best time), drawn behind the posts; a failure only loses the highlight.
    if (config.goodSlotsUrl) sources.push({ id: "good-slots", url: config.goodSlotsUrl, extraParams: filterParams });

    const calendar = new window.FullCalendar.Calendar(host, {
      timeZone: "UTC",
      locale: document.documentElement.lang || "en",
      firstDay: 1,
      now: () => wallClockNow(config.timeZone),
      initialView: config.view || "dayGridMonth",
      initialDate: config.date || undefined,
      headerToolbar: { left: "prev,next today", center: "title", right: "dayGridMonth,timeGridWeek,listMonth" },
      height: "auto",
      scrollTime: "07:00:00",
      nowIndicator: true,
      dayMaxEvents: 4,
      eventDisplay: "block", // state colours read better as blocks than as dots
      editable: true,
      eventDurationEditable: false,
      defaultTimedEventDuration: "00:30",
      eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
      eventSources: sources,
      loading(isLoading) { host.setAttribute("aria-busy", isLoading ? "true" : "false"); },
      datesSet(info) {
        // The week grid scrolls inside a fixed height; month and list grow with their content.
        const wanted = info.view.type.startsWith("timeGrid") ? 760 : "auto";
        if (calendar.getOption("height") !== wanted) {
          calendar.setOption("height", wanted);
          if (wanted !== "auto") setTimeout(() => calendar.scrollToTime("07:00:00"), 0);
        }
        syncUrl(calendar);
      },

      eventContent(arg) {
        const props = arg.event.extendedProps;
        if (arg.event.display === "background") {
          if (!props.load) return true;
          // The month grid has room only for what matters (half full or more); the week view shows all.
          const month = arg.view.type === "dayGridMonth";
          const items = props.load.filter((item) => !month || item.count * 2 >= item.cap);
          const box = el("div", { class: "tt-load-label", "data-testid": "day-load", title: arg.event.title });
          items.forEach((item) => {
            box.appendChild(el("span", { class: item.full ? "tt-load-item is-full" : "tt-load-item" },
              `${item.channel} ${item.count}/${item.cap}`));
          });
          return { domNodes: [box] };
        }
        const nodes = [];
        if (arg.timeText && !arg.view.type.startsWith("list")) nodes.push(el("span", { class: "tt-ev-time" }, arg.timeText));
        if (config.cross) {
          const dot = el("i", { class: "tt-ev-dot", title: props.state_label });
          dot.style.background = props.state_color;
          nodes.push(dot);
          if (arg.view.type.startsWith("list")) nodes.push(el("span", { class: "tt-ev-ws" }, props.workspace));
        }
        nodes.push(el("span", { class: "tt-ev-title" }, arg.event.title));
        if (arg.view.type.startsWith("list")) {
          nodes.push(el("span", { class: `badge state-${props.state}`, "data-testid": "event-state" }, props.state_label));
        }
        if (props.remote_url) {
          const link = el("a", {
            class: "tt-ev-remote", href: props.remote_url, target: "_blank", rel: "noopener noreferrer",
            "data-testid": "remote-link", title: texts.remote, "aria-label": texts.remote,
          }, "↗");
          nodes.push(link);
        }
        const wrap = el("div", { class: "tt-ev" });
        nodes.forEach((n) => wrap.appendChild(n));
        return { domNodes: [wrap] };
      },

      eventDidMount(info) {
        const props = info.event.extendedProps;
        if (info.event.display === "background") {
          if (props.full && props.full.length) info.el.dataset.full = props.full.join(", ");
          return;
        }
        info.el.dataset.testid = "calendar-event";
        info.el.dataset.targetId = props.target_id;
        info.el.dataset.state = props.state;
        info.el.title = `${props.local_time} · ${props.state_label} · ${props.channel}${config.cross ? " · " + props.workspace : ""}\n${props.text}`;
      },

      eventClick(info) {
        // The remote link opens the published post; anywhere else opens the post in tamtam.
        if (info.jsEvent.target.closest("[data-testid=remote-link]")) return;
        info.jsEvent.preventDefault();
        if (info.event.extendedProps.post_url) window.location.href = info.event.extendedProps.post_url;
      },

      async eventDrop(info) {
        const props = info.event.extendedProps;
        if (!props.move_url) { info.revert(); return; }
        const body = { start: wallClock(info.event.start) };
        if (config.cross) body.tz = config.timeZone;
        let data = {};
        let response;
        try {
          response = await fetch(props.move_url, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), Accept: "application/json" },
            body: JSON.stringify(body),
          });
          data = await response.json().catch(() => ({}));
        } catch (err) {
          info.revert();
          show(texts.failed, "error");
          return;
        }
        if (!response.ok || !data.ok) {
          info.revert();
          show(`${texts.refused} ${data.error || response.statusText}`, "error");
          return;
        }
        show(data.message || texts.moved, "success");
        calendar.refetchEvents(); // the day loads and the server's view of the post
      },
    });
    calendar.render();
    window.tamtamCalendar = calendar; // for browser tests and the console

    if (form) {
      form.addEventListener("change", (event) => {
        if (event.target.dataset.reload) {
          const url = new URL(window.location.href);
          url.searchParams.set(event.target.name, event.target.value);
          window.location.href = url.toString();
          return;
        }
        syncUrl(calendar);
        calendar.refetchEvents();
      });
      const reset = form.querySelector("[data-action=reset-filters]");
      if (reset) {
        reset.addEventListener("click", () => {
          form.querySelectorAll("select:not([data-reload])").forEach((s) => { s.value = ""; });
          syncUrl(calendar);
          calendar.refetchEvents();
        });
      }
    }
  }

  function initCopy() {
    document.querySelectorAll("[data-copy]").forEach((button) => {
      button.addEventListener("click", () => {
        const input = document.querySelector(button.dataset.copy);
        if (!input) return;
        input.select();
        if (navigator.clipboard) navigator.clipboard.writeText(input.value).catch(() => document.execCommand("copy"));
        else document.execCommand("copy");
      });
    });
  }

  function initIcalLink() {
    // The subscription help sits in a closed <details>: following the link should open it.
    const box = document.getElementById("ical");
    document.querySelectorAll('a[href="#ical"]').forEach((link) => {
      link.addEventListener("click", () => { if (box) box.open = true; });
    });
  }

  document.addEventListener("DOMContentLoaded", () => { init(); initCopy(); initIcalLink(); });
})();
