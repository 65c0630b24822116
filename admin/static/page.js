// The settings page's own script: no framework, no build step. Every screen reads and writes the admin JSON API;
// on Shopify each request carries App Bridge's session token, elsewhere the login session's cookie and CSRF token.
"use strict";
(() => {
  const DATA = JSON.parse(document.getElementById("assay-data").textContent);
  const $ = (sel, root = document) => root.querySelector(sel);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const child of children) if (child !== null && child !== undefined) node.append(child);
    return node;
  };
  const say = (text) => { $("#status").textContent = text; };
  const words = (value) => (value === null || value === undefined ? "—" : String(value).replaceAll("_", " "));
  const when = (iso) => (iso ? new Date(iso).toLocaleString() : "—");

  // --- Signing each request -------------------------------------------------------------------------------
  const urlToken = new URLSearchParams(location.search).get("id_token");
  let csrf = null;
  async function authHeaders() {
    if (window.shopify && typeof window.shopify.idToken === "function") {
      try { return { Authorization: `Bearer ${await window.shopify.idToken()}` }; } catch (e) { /* fall through */ }
    }
    if (urlToken) return { Authorization: `Bearer ${urlToken}` };  // the document's own token, App Bridge absent
    return csrf ? { "X-CSRF-Token": csrf } : {};
  }
  async function api(method, path, body) {
    const headers = { Accept: "application/json", ...(await authHeaders()) };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let answer;
    try {
      answer = await fetch(`/admin/api${path}`, { method, headers, credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {  // offline, or the app is down: an answer like any other, so every screen can say so
      return { ok: false, status: 0, json: { detail: "Assay could not be reached; check the connection." } };
    }
    const json = await answer.json().catch(() => ({}));
    if (answer.status === 401) say("Your session has ended: open Assay again from your store's admin or a new login link.");
    return { ok: answer.ok, status: answer.status, json };
  }

  // --- Screens ----------------------------------------------------------------------------------------------
  const loaders = {};  // each returns false when its data did not arrive, so the screen loads again next time
  const loaded = new Set();
  // A screen whose data did not arrive says so where the data would be, never an empty list that reads as "none".
  function failure(answer, what) {
    const detail = answer.json.detail || Object.values(answer.json.errors || {}).join(" ") || `the server answered ${answer.status}.`;
    return `${what} could not be loaded: ${detail} Open this screen again to retry.`;
  }
  const failedRow = (cols, text) => el("tr", {}, el("td", { colspan: cols, class: "error", text }));
  function show(screen) {
    if (!document.getElementById(`screen-${screen}`)) screen = "policy";
    say("");  // a message belongs to the screen it was said on
    for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== `screen-${screen}`;
    for (const link of document.querySelectorAll("[data-screen]")) {
      if (link.dataset.screen === screen) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
    }
    document.title = `${document.getElementById(`screen-${screen}`).dataset.title} — Assay`;
    if (!loaded.has(screen) && loaders[screen]) {
      loaded.add(screen);
      Promise.resolve(loaders[screen]()).then((ok) => { if (ok === false) loaded.delete(screen); });
    }
  }
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));

  // --- Policy editor: the form is the policy schema's own description (admin/policy_form.py) ---------------
  let doc = {};
  let current = null;     // the saved version's document
  let presets = {};
  let errors = {};
  const idOf = (path) => `f-${path.replaceAll(".", "-")}`;
  const getAt = (obj, path) => path.reduce((o, k) => (o === null || o === undefined ? undefined : o[k]), obj);
  function setAt(obj, path, value) {
    let o = obj;
    path.slice(0, -1).forEach((k, i) => { if (o[k] === null || typeof o[k] !== "object") o[k] = /^\d+$/.test(path[i + 1]) ? [] : {}; o = o[k]; });
    if (value === undefined) delete o[path[path.length - 1]]; else o[path[path.length - 1]] = value;
  }
  const concrete = (nodePath, at) => { let i = 0; return nodePath.split(".").map((p) => (p === "#" ? String(at[i++]) : p)); };

  function errorSlot(path) { return el("p", { class: "field-error", id: `e-${idOf(path)}` }); }
  function changed(path, value, rerender = false) {
    setAt(doc, path, value);
    if (rerender) renderForm();
    scheduleCheck();
  }
  function input(node, path) {
    const value = getAt(doc, path);
    const id = idOf(path.join("."));
    const described = `e-${id}`;
    if (node.type === "bool") {
      return el("div", { class: "field check" },
        el("input", { type: "checkbox", id, checked: Boolean(value), "aria-describedby": described,
          onchange: (e) => changed(path, e.target.checked) }),
        el("label", { for: id, text: node.label }), errorSlot(path.join(".")));
    }
    let control;
    if (node.type === "choice") {
      control = el("select", { id, "aria-describedby": described, onchange: (e) => changed(path, e.target.value || undefined) });
      if (!node.required || value === undefined) control.append(el("option", { value: "", text: node.required ? "Choose…" : "(the usual)" }));
      for (const c of node.choices) control.append(el("option", { value: c.value, text: c.words, selected: c.value === value }));
    } else if (node.type === "whole") {
      control = el("input", { id, type: "text", inputmode: "numeric", value: value ?? "", "aria-describedby": described,
        oninput: (e) => { const raw = e.target.value.trim(); changed(path, raw === "" ? undefined : (/^-?\d+$/.test(raw) ? Number(raw) : raw)); } });
    } else if (node.type === "words") {
      control = el("input", { id, type: "text", value: (value || []).join(", "), "aria-describedby": `${described} h-${id}`,
        oninput: (e) => changed(path, e.target.value.split(",").map((w) => w.trim()).filter((w, i, all) => w || all.length === 1)) });
    } else {
      control = el("input", { id, type: "text", value: value ?? "", "aria-describedby": described,
        oninput: (e) => changed(path, e.target.value === "" ? undefined : e.target.value) });
    }
    return el("div", { class: "field" }, el("label", { for: id, text: node.label }), control,
      node.type === "words" ? el("span", { class: "hint", id: `h-${id}`, text: "separate with commas" }) : null,
      errorSlot(path.join(".")));
  }
  function renderNodes(nodes, at, container) {
    for (const node of nodes) {
      const path = concrete(node.path, at);
      const value = getAt(doc, path);
      if (node.type === "section") {
        const box = el("fieldset", { class: `section depth-${path.length}` }, el("legend", { text: node.label }));
        if (!node.required) {
          const id = idOf(path.join(".")) + "-on";
          box.append(el("div", { class: "field check" },
            el("input", { type: "checkbox", id, checked: value !== undefined && value !== null,
              onchange: (e) => changed(path, e.target.checked ? {} : undefined, true) }),
            el("label", { for: id, text: node.toggle || `Use “${node.label}”` })));
        }
        box.append(errorSlot(path.join(".")));
        if (node.required || (value !== undefined && value !== null)) renderNodes(node.fields, at, box);
        container.append(box);
      } else if (node.type === "list") {
        const box = el("fieldset", { class: "section" }, el("legend", { text: node.label }), errorSlot(path.join(".")));
        (value || []).forEach((_, i) => {
          const item = el("fieldset", { class: "item" }, el("legend", { text: `${node.label} #${i + 1}` }));
          renderNodes(node.fields, [...at, i], item);
          item.append(el("button", { type: "button", text: `Remove ${node.label} #${i + 1}`,
            onclick: () => { const list = getAt(doc, path); list.splice(i, 1); changed(path, list, true); } }));
          box.append(item);
        });
        box.append(el("button", { type: "button", text: `Add to ${node.label}`,
          onclick: () => changed(path, [...(value || []), {}], true) }));
        container.append(box);
      } else if (node.type === "map") {
        const box = el("fieldset", { class: "section" }, el("legend", { text: node.label }), errorSlot(path.join(".")));
        for (const key of node.keys) {
          const sub = { ...node.value, label: key.words, required: false, path: [...path, key.value].join(".") };
          box.append(input(sub, [...path, key.value]));
        }
        container.append(box);
      } else {
        container.append(input(node, path));
      }
    }
  }
  function renderForm() {
    const container = $("#policy-fields");
    const focused = document.activeElement && document.activeElement.id;
    container.replaceChildren();
    renderNodes(DATA.form, [], container);
    showErrors(errors);
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
  }
  function showErrors(found) {
    errors = found;
    for (const slot of document.querySelectorAll(".field-error")) slot.textContent = "";
    for (const field of document.querySelectorAll("[aria-invalid]")) field.removeAttribute("aria-invalid");
    const unplaced = [];
    for (const [path, message] of Object.entries(found)) {
      let parts = path.split(".");
      let slot = null;
      while (parts.length && !(slot = document.getElementById(`e-${idOf(parts.join("."))}`))) parts = parts.slice(0, -1);
      if (!slot) { unplaced.push(message); continue; }
      slot.textContent = slot.textContent ? `${slot.textContent} ${message}` : message;
      const field = document.getElementById(idOf(parts.join(".")));
      if (field) field.setAttribute("aria-invalid", "true");
    }
    const summary = $("#policy-summary");
    const count = Object.keys(found).length;
    summary.hidden = count === 0;
    summary.replaceChildren(...(count ? [el("p", { text: `${count} thing${count > 1 ? "s" : ""} to fix before saving:` }),
      el("ul", {}, ...Object.values(found).map((m) => el("li", { text: m })))] : []));
  }
  const policyBody = () => { const { version, ...rest } = doc; return { policy: rest }; };
  let checkTimer = null;
  function scheduleCheck() { clearTimeout(checkTimer); checkTimer = setTimeout(check, 200); }
  async function check() {
    // Both at once: the text answers 422 for an invalid policy, and the validation says why, field by field.
    const [answer] = await Promise.all([api("POST", "/policy/validate", policyBody()), renderText()]);
    if (!answer.ok) return false;
    showErrors(answer.json.errors || {});
    if (!answer.json.valid) $("#policy-text").setAttribute("data-stale", "true");
    return answer.json.valid;
  }
  let markdown = "";
  let textAsked = 0;
  async function renderText() {
    const asked = ++textAsked;
    const answer = await api("POST", "/policy/text", policyBody());
    if (!answer.ok || asked !== textAsked) return;  // invalid, or a later edit's text is on its way
    markdown = answer.json.markdown;
    const panel = $("#policy-text");
    panel.removeAttribute("data-stale");
    panel.replaceChildren(...answer.json.sections.flatMap((s) => [el("h4", { text: s.heading }),
      ...s.paragraphs.map((p) => el("p", { text: p }))]));
  }
  function choose(document_, note) {
    doc = JSON.parse(JSON.stringify(document_ || {}));
    errors = {};
    renderForm();
    check();
    if (note) say(note);
  }
  async function loadVersions() {
    const answer = await api("GET", "/policy/versions");
    const rows = (answer.json.versions || []).map((v) => el("tr", {},
      el("td", { text: `Version ${v.version}${current && v.label === current.label ? " (in use)" : ""}` }),
      el("td", { text: when(v.created_at) }),
      el("td", {}, el("button", { type: "button", text: `View version ${v.version}`, onclick: async () => {
        const one = await api("GET", `/policy/versions/${v.version}`);
        choose(one.json.policy, `Version ${v.version} is in the editor; save to restore it as a new version.`);
      } }), " ", el("button", { type: "button", text: `Restore version ${v.version}`, onclick: async () => {
        const one = await api("GET", `/policy/versions/${v.version}`);
        doc = one.json.policy; await save();
      } }))));
    $("#versions").replaceChildren(...rows);
  }
  async function save() {
    const answer = await api("PUT", "/policy", policyBody());
    if (answer.status === 201) {
      say(`Saved: the store now uses version ${answer.json.version}.`);
      $("#policy-version").textContent = `In use: version ${answer.json.version}`;
      current = { label: answer.json.label, policy: JSON.parse(JSON.stringify(doc)) };
      showErrors({});
      await Promise.all([renderText(), loadVersions()]);
    } else {
      showErrors(answer.json.errors || {});
      say("Not saved: fix the fields marked below.");
      const first = document.querySelector("[aria-invalid]");
      if (first) first.focus();
    }
  }
  loaders.policy = async () => {
    const [policy, list] = await Promise.all([api("GET", "/policy"), api("GET", "/presets")]);
    if (!policy.ok || !list.ok) {  // never an editor on a preset the merchant could mistake for their policy
      $("#policy-fields").replaceChildren(el("p", { class: "error", role: "alert", text: failure(policy.ok ? list : policy, "The policy") }));
      return false;
    }
    for (const p of list.json.presets || []) presets[p.name] = p.policy;
    current = policy.json.policy ? { label: policy.json.label, policy: policy.json.policy } : null;
    if (policy.json.version) $("#policy-version").textContent = `In use: version ${policy.json.version}`;
    choose(current ? current.policy : presets["pristine-crystals"]);
    loadVersions();
  };
  for (const button of document.querySelectorAll("[data-preset]")) {
    button.addEventListener("click", () => {
      const name = button.dataset.preset;
      for (const b of document.querySelectorAll("[data-preset]")) b.setAttribute("aria-pressed", String(b === button));
      choose(name ? presets[name] : current && current.policy,
        name ? `The ${button.textContent} preset is in the editor; save to use it.` : "The policy in use is in the editor.");
    });
  }
  $("#policy-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    if (await check()) await save();
    else { say("Not saved: fix the fields marked below."); const f = document.querySelector("[aria-invalid]"); if (f) f.focus(); }
  });
  $("#copy-text").addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(markdown); say("The policy text is copied."); }
    catch (e) {  // no clipboard permission (an iframe, an old browser): select it for Ctrl+C instead
      const range = document.createRange(); range.selectNodeContents($("#policy-text"));
      getSelection().removeAllRanges(); getSelection().addRange(range); say("The text is selected: press Ctrl+C to copy.");
    }
  });

  // --- Try it -------------------------------------------------------------------------------------------------
  let orders = [];
  function renderLines() {
    const order = orders.find((o) => o.id === $("#try-order").value);
    $("#try-lines").replaceChildren(...(order ? order.lines.map((line, i) => el("div", { class: "field check" },
      el("input", { type: "checkbox", id: `try-line-${i}`, value: line.id, checked: i === 0 }),
      el("label", { for: `try-line-${i}`, text: `${line.title} (×${line.quantity})` }))) : []));
  }
  loaders.try = async () => {
    if (!loaded.has("policy")) { loaded.add("policy"); await loaders.policy(); }
    const answer = await api("GET", "/orders");
    if (!answer.ok) {
      $("#try-lines").replaceChildren(el("p", { class: "error", role: "alert", text: failure(answer, "The store's recent orders") }));
      return false;
    }
    orders = answer.json.orders || [];
    $("#try-order").replaceChildren(...orders.map((o) => el("option", { value: o.id, text: o.sample ? "A sample order (a ring and a sale bracelet, delivered 5 days ago)" : `Order ${o.id} — placed ${when(o.placed_at)}` })));
    renderLines();
  };
  $("#try-order").addEventListener("change", renderLines);
  $("#try-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const order = orders.find((o) => o.id === $("#try-order").value);
    if (!order) return;
    const kind = $("#try-kind").value;
    const start = new Date(order.delivered_at || order.placed_at);
    const submitted = new Date(start.getTime() + Number($("#try-days").value || 0) * 86400000);
    const lines = kind === "cancel" ? [] : [...document.querySelectorAll("#try-lines input:checked")].map((c) => ({ line_id: c.value, quantity: 1 }));
    const request = { kind, submitted_at: submitted.toISOString(), reason: kind === "cancel" ? null : ($("#try-reason").value || null),
      lines, evidence: { photos: Number($("#try-photos").value || 0) } };
    const answer = await api("POST", "/try", { ...policyBody(), order_id: order.id, request });
    const out = $("#try-result");
    if (!answer.ok) {
      out.replaceChildren(el("p", { class: "error", role: "alert", text: Object.values(answer.json.errors || {}).join(" ") || answer.json.detail }));
      return;
    }
    const d = answer.json.decision;
    out.replaceChildren(decisionView(d, "The unsaved policy would"));
  });
  function decisionView(d, lead) {
    return el("div", { class: `decision outcome-${d.outcome}` },
      el("p", { class: "verdict" }, `${lead}: `, el("strong", { class: "badge", text: words(d.outcome) })),
      el("ul", {}, ...(d.reasons || []).map((r) => el("li", { text: r.message || words(r.code) }))),
      d.refund ? el("p", { text: `Refund: ${d.refund.total} ${d.refund.currency} (items ${d.refund.items}, shipping ${d.refund.shipping}, tax ${d.refund.tax}, fees ${d.refund.fees})` }) : null,
      d.respond_by ? el("p", { text: `Reply promised by ${when(d.respond_by)}` }) : null);
  }

  // --- Decisions ------------------------------------------------------------------------------------------
  let cursor = null;
  function chart(weeks) {
    if (!weeks.some((w) => w.approve + w.decline + w.review)) {
      $("#chart").replaceChildren(el("p", { class: "muted", text: `No decisions in the last ${weeks.length} weeks.` }));
      return;
    }
    const ns = "http://www.w3.org/2000/svg";
    const W = 640, H = 180, pad = 24, colors = { approve: "#1a7f37", decline: "#b42318", review: "#8a5a00" };
    const max = Math.max(1, ...weeks.map((w) => w.approve + w.decline + w.review));
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", `0 0 ${W} ${H + 30}`);
    svg.setAttribute("role", "img");
    const total = (k) => weeks.reduce((n, w) => n + w[k], 0);
    svg.setAttribute("aria-label", `Outcomes over the last ${weeks.length} weeks: ${total("approve")} approved, ${total("decline")} declined, ${total("review")} reviewed`);
    const bw = (W - pad) / weeks.length;
    weeks.forEach((w, i) => {
      let y = H;
      for (const k of ["approve", "decline", "review"]) {
        const h = (w[k] / max) * (H - pad);
        const r = document.createElementNS(ns, "rect");
        Object.entries({ x: pad + i * bw + 2, y: y - h, width: bw - 4, height: h, fill: colors[k] }).forEach(([a, v]) => r.setAttribute(a, v));
        const t = document.createElementNS(ns, "title"); t.textContent = `Week of ${w.week}: ${w[k]} ${k}`; r.append(t);
        svg.append(r); y -= h;
      }
      const label = document.createElementNS(ns, "text");
      Object.entries({ x: pad + i * bw + bw / 2, y: H + 16, "text-anchor": "middle", "font-size": 10, fill: "#303030" }).forEach(([a, v]) => label.setAttribute(a, v));
      label.textContent = w.week.slice(5); svg.append(label);
    });
    const legend = el("p", { class: "legend" }, ...Object.entries(colors).map(([k, c]) => el("span", {},
      el("span", { class: "swatch", style: `background:${c}` }), ` ${words(k)} `)));
    $("#chart").replaceChildren(svg, legend);
  }
  function filters() {
    const form = new FormData($("#case-filters"));
    const q = new URLSearchParams();
    for (const [k, v] of form.entries()) {
      if (!v) continue;
      q.set(k, k === "from" ? `${v}T00:00:00Z` : k === "to" ? `${v}T23:59:59Z` : v);
    }
    return q;
  }
  async function loadCases(more = false) {
    const q = filters();
    if (more && cursor) q.set("cursor", cursor);
    const answer = await api("GET", `/cases?${q}`);
    if (!answer.ok) {
      if (!more) $("#cases").replaceChildren(failedRow(7, failure(answer, "The decisions")));
      say(Object.values(answer.json.errors || {}).join(" ") || answer.json.detail);
      return false;
    }
    cursor = answer.json.next_cursor;
    $("#more-cases").hidden = !cursor;
    const rows = answer.json.cases.map((c) => el("tr", {},
      el("td", {}, el("a", { href: `#decisions`, "data-case": c.id, text: `Case ${c.id}`, onclick: (e) => { e.preventDefault(); openCase(c.id); } })),
      el("td", { text: c.order_id }), el("td", { text: words(c.kind) }), el("td", { text: words(c.reason) }),
      el("td", {}, el("span", { class: `badge outcome-${c.outcome}`, text: words(c.outcome) })),
      el("td", { text: words(c.status) }), el("td", { text: when(c.created_at) })));
    if (more) $("#cases").append(...rows); else $("#cases").replaceChildren(...rows);
    const shown = $("#cases").children.length;
    $("#cases-count").textContent = shown === 0
      ? ([...filters().keys()].length ? "No case matches these filters."
        : "No cases yet: each request the store receives is decided and listed here.")
      : `${shown}${cursor ? "+" : ""} case${shown === 1 ? "" : "s"} shown.`;
  }
  function writeRow(a) {
    return el("tr", { class: a.state === "failed" ? "failed" : null },
      el("td", { text: words(a.kind) }), el("td", { text: a.state === "failed" ? "failed" : words(a.state) }),
      el("td", { text: String(a.attempts) }), el("td", { text: when(a.done_at || a.claimed_at || a.created_at) }),
      el("td", { text: a.last_error || "" }),
      el("td", {}, a.state === "failed" ? el("button", { type: "button", text: "Retry this write", onclick: () => retry(a.id) }) : null));
  }
  async function retry(id) {
    const answer = await api("POST", `/write-backs/${id}/retry`);
    say(answer.ok ? "Queued again: it is written in the background." : answer.json.detail);
    loadAttention();
  }
  async function openCase(id) {
    const answer = await api("GET", `/cases/${id}`);
    const c = answer.json;
    const box = $("#case-detail");
    box.replaceChildren(el("h3", { text: `Case ${id}: ${words(c.case.kind)} on order ${c.case.order_id}` }),
      c.decision ? decisionView(c.decision, `Decided by ${c.decision.decided_by} with policy ${c.decision.policy_version}`) : el("p", { text: "Not decided yet." }),
      c.decision && c.decision.note ? el("p", { text: `Note: ${c.decision.note}` }) : null,
      el("h4", { text: "Written to the platform" }),
      c.actions.length ? el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ...["What", "State", "Tries", "When", "Error", ""].map((h) => el("th", { scope: "col" }, h || el("span", { class: "sr", text: "Actions" }))))),
        el("tbody", {}, ...c.actions.map(writeRow))) : el("p", { text: "Nothing to write." }));
    box.focus();
  }
  loaders.decisions = async () => {
    const [summary, cases] = await Promise.all([api("GET", "/summary"), loadCases()]);
    if (summary.ok) chart(summary.json.weeks || []);
    else $("#chart").replaceChildren(el("p", { class: "error", text: failure(summary, "The weekly outcomes") }));
    return summary.ok && cases !== false;
  };
  $("#case-filters").addEventListener("submit", (e) => { e.preventDefault(); $("#case-detail").replaceChildren(); loadCases(); });
  $("#more-cases").addEventListener("click", () => loadCases(true));

  // --- Review queue ---------------------------------------------------------------------------------------
  const span = (ms) => { const h = Math.round(Math.abs(ms) / 3600000); return h >= 48 ? `${Math.round(h / 24)} days` : `${h} hours`; };
  function timeLeft(iso, since) {
    if (!iso) return { text: `no reply promised; waiting ${span(Date.now() - new Date(since))}`, overdue: false };
    const ms = new Date(iso) - Date.now();
    return ms < 0 ? { text: `overdue by ${span(ms)}`, overdue: true } : { text: `${span(ms)} left`, overdue: false };
  }
  async function loadReviews() {
    const answer = await api("GET", "/reviews");
    if (!answer.ok) {
      $("#reviews").replaceChildren(el("li", { class: "error", role: "alert", text: failure(answer, "The review queue") }));
      return false;
    }
    const list = answer.json.reviews || [];
    $("#count-reviews").textContent = list.length ? ` (${list.length})` : "";
    $("#reviews").replaceChildren(...(list.length ? list.map((r) => {
      const left = timeLeft(r.respond_by, r.submitted_at || r.created_at);
      const noteId = `note-${r.id}`;
      return el("li", { class: `card${left.overdue ? " overdue" : ""}` },
        el("h3", { text: `Case ${r.id}: ${words(r.kind)} on order ${r.order_id}` }),
        el("p", { class: "due" }, el("strong", { text: left.text }), r.respond_by ? ` — reply promised by ${when(r.respond_by)}` : ""),
        el("ul", {}, ...r.reasons.map((x) => el("li", { text: x.message || words(x.code) }))),
        el("label", { for: noteId, text: "Note (kept with your decision)" }), el("textarea", { id: noteId, rows: 2 }),
        el("p", { class: "actions" },
          el("button", { type: "button", class: "primary", text: "Approve", "aria-label": `Approve case ${r.id}`, onclick: () => answerReview(r.id, "approve") }), " ",
          el("button", { type: "button", text: "Decline", "aria-label": `Decline case ${r.id}`, onclick: () => answerReview(r.id, "decline") })));
    }) : [el("li", { class: "muted", text: "Nothing waits for you." })]));
  }
  async function answerReview(id, verdict) {
    const note = document.getElementById(`note-${id}`).value || null;
    const answer = await api("POST", `/reviews/${id}/${verdict}`, { note });
    say(answer.ok ? `Case ${id}: ${verdict === "approve" ? "approved" : "declined"}; it is written to the platform.` : answer.json.detail);
    loadReviews();
  }
  loaders.reviews = loadReviews;

  // --- Needs attention ------------------------------------------------------------------------------------
  async function loadAttention() {
    const [writes, aside, events, exports] = await Promise.all([api("GET", "/write-backs/failed"), api("GET", "/cases/set-aside"),
      api("GET", "/events/failed"), api("GET", "/privacy/exports")]);
    const w = writes.json.write_backs || [], sa = aside.json.cases || [], ev = events.json.events || [], ex = exports.json.exports || [];
    const missing = [[writes, "#failed-writes", 5, "The failed write-backs"], [aside, "#set-aside", 4, "The requests set aside"],
      [events, "#failed-events", 3, "The failed events"], [exports, "#exports", 3, "The customer-data exports"]].filter(([answer]) => !answer.ok);

    const count = w.length + sa.length + ev.length + ex.length;
    $("#count-attention").textContent = count ? ` (${count})` : "";
    const none = (cols, text) => el("tr", {}, el("td", { colspan: cols, class: "muted", text }));
    $("#failed-writes").replaceChildren(...(w.length ? w.map((a) => el("tr", { class: "failed" },
      el("td", {}, el("a", { href: "#decisions", text: `Case ${a.case_id}`, onclick: () => setTimeout(() => openCase(a.case_id), 0) })),
      el("td", { text: words(a.kind) }), el("td", { text: String(a.attempts) }), el("td", { text: a.last_error || "" }),
      el("td", {}, el("button", { type: "button", text: "Retry", "aria-label": `Retry write ${a.id}`, onclick: () => retry(a.id) })))) : [none(5, "None: every write reached the platform.")]));
    $("#set-aside").replaceChildren(...(sa.length ? sa.map((c) => el("tr", { class: "failed" }, el("td", { text: when(c.created_at) }),
      el("td", { text: c.order_id }), el("td", { text: words(c.kind) }), el("td", { text: c.errors.join("; ") }))) : [none(4, "None.")]));
    $("#failed-events").replaceChildren(...(ev.length ? ev.map((e) => el("tr", {}, el("td", { text: when(e.received_at) }),
      el("td", { text: e.topic }), el("td", { text: e.error || "" }))) : [none(3, "None.")]));
    $("#exports").replaceChildren(...(ex.length ? ex.map((x) => el("tr", {}, el("td", { text: when(x.created_at) }),
      el("td", { text: x.customer_id || "—" }), el("td", {}, el("button", { type: "button", text: `Show export ${x.id}`, onclick: async () => {
        const one = await api("GET", `/privacy/exports/${x.id}`);
        const pre = $("#export-view"); pre.hidden = false; pre.textContent = JSON.stringify(one.json.export, null, 2); pre.focus();
      } })))) : [none(3, "No customer has asked.")]));
    for (const [answer, table, cols, what] of missing) $(table).replaceChildren(failedRow(cols, failure(answer, what)));
    return missing.length === 0;
  }
  loaders.attention = loadAttention;

  // --- Start ----------------------------------------------------------------------------------------------
  (async () => {
    const who = await api("GET", "/session");
    if (who.ok) { csrf = who.json.csrf_token; $("#store-name").textContent = `— ${who.json.store.domain}`; }
    show(location.hash.slice(1) || "policy");
    loadReviews(); loadAttention();
  })();
})();
