/* Gardien cookie banner; its contract with the server is docs/consent.md.
   No dependency, no eval, no inline style (a strict CSP on the host keeps working). */
(() => {
  "use strict";
  const me = document.currentScript;
  if (!me || window.gardienLoaded) return;
  window.gardienLoaded = true;

  const doc = document;
  // or Gardien-GPC: 1 on the configuration
  let gpc = navigator.globalPrivacyControl === true;
  const lang =
    [doc.documentElement.lang, navigator.language]
      .map((l) => (l || "").slice(0, 2).toLowerCase())
      .find((l) => l === "fr" || l === "en") || "fr";
  const now = () => Math.floor(Date.now() / 1000);

  let cfg, t, hash, life, asked, old, choice, root, backdrop, fab, back;
  let layer = 0; // 0 closed, 1 banner, 2 settings
  let granted = {}; // purpose id -> may run
  let switches = {}; // purpose id -> its switch, in layer 2

  // h(tag, {attribute or listener}, ...children)
  const h = (tag, attrs, ...kids) => {
    const e = doc.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (typeof v === "function") e.addEventListener(k, v);
      else if (v != null && v !== false) e.setAttribute(k, v);
    }
    e.append(...kids.filter(Boolean));
    return e;
  };

  const css = h("link", { rel: "stylesheet", href: new URL("gardien.css", me.src) });
  // Shown once styled (or unstyled if the CSS fails): no flash in the page flow.
  const cssReady = new Promise((done) => (css.onload = css.onerror = done));
  doc.head.append(css);

  const loadConfig = (fresh) =>
    fetch(new URL(`config/${lang}.json`, me.src), {
      credentials: "omit",
      cache: fresh ? "no-cache" : "default",
    }).then((r) => {
      if (r.headers.get("Gardien-GPC") === "1") gpc = true;
      return r.ok ? r.json() : Promise.reject(r.status);
    });

  // A choice's request_id: 22 URL-safe characters
  const newId = () =>
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))))
      .slice(0, 22)
      .replace(/\W/g, "_");

  loadConfig()
    .then((c) => cssReady.then(() => start(c)))
    .catch((e) => {
      console.warn("Gardien: nothing enabled,", e);
      // A page whose origin is not allowed gets no CORS header: fetch fails (TypeError), yet
      // a no-cors request to Gardien gets through, so the origin is at fault, not the network.
      if (e instanceof TypeError)
        fetch(me.src, { mode: "no-cors" }).then(() =>
          console.error(
            `Gardien: ${location.origin} is not allowed: gardien site add-origin ${location.origin}`,
          ),
        );
    });

  const googleConsent = (command, ads, analytics) =>
    window.gtag("consent", command, {
      ad_storage: ads,
      ad_user_data: ads,
      ad_personalization: ads,
      analytics_storage: analytics,
    });

  function start(c) {
    cfg = c;
    t = c.text;
    hash = c.purposes_hash.slice(0, 12);
    life = c.choice_days * 86400; // at most 13 months: `gardien check` refuses longer
    asked = c.purposes.filter((p) => p.consent !== "not_needed");
    if (c.google_consent_mode) {
      window.dataLayer = window.dataLayer || [];
      window.gtag =
        window.gtag ||
        function () {
          window.dataLayer.push(arguments); // gtag.js wants the arguments object
        };
      googleConsent("default", "denied", "denied");
    }
    old = readChoice();
    const valid = old && old.h === hash && now() - old.d < life;
    choice = valid ? old : null;

    doc.addEventListener("click", (e) => {
      if (e.target.closest && e.target.closest("[data-gardien-open-settings]")) {
        e.preventDefault();
        open(2);
      }
    });
    root = h("div", {
      class: "gardien",
      role: "dialog",
      "aria-labelledby": "gardien-title",
      "aria-describedby": "gardien-intro",
      tabindex: -1,
      hidden: true,
      lang: c.lang,
      keydown: onKey,
    });
    backdrop = paint(h("div", { class: "gardien-backdrop", hidden: true }));
    doc.body.append(backdrop, paint(root));
    if (!doc.querySelector("[data-gardien-open-settings]")) {
      const attrs = { type: "button", class: "gardien-fab", lang: c.lang };
      fab = paint(h("button", { ...attrs, "data-gardien-open-settings": "" }, t.settings));
      doc.body.append(fab);
    }
    // Nothing focused in the page hides behind the first layer (WCAG 2.4.11)
    new ResizeObserver(reserve).observe(root);
    doc.addEventListener("focusin", uncover);
    addEventListener("blur", uncover); // into an iframe

    if (choice) apply();
    else if (gpc) decide("gpc", false);
    else {
      apply();
      open(1);
    }
    watch();
  }

  // The manifest's colours win over the site's stylesheet
  function paint(el) {
    const th = cfg.theme;
    if (th) el.style.setProperty("--gardien-brand", th.brand);
    if (th) el.style.setProperty("--gardien-on-brand", th.on_brand);
    return el;
  }

  function uncover() {
    const e = doc.activeElement;
    const r = layer === 1 && !root.contains(e) && e.getBoundingClientRect();
    if (r && r.bottom > root.getBoundingClientRect().top) e.scrollIntoView(false);
  }

  function reserve() {
    const px = layer === 1 ? root.offsetHeight + 1 + "px" : ""; // +1: offsetHeight is rounded
    doc.documentElement.style.setProperty("scroll-padding-bottom", px);
    doc.body.style.setProperty("padding-bottom", px);
  }

  function readChoice() {
    const kv = doc.cookie.split("; ").find((s) => s.startsWith(cfg.cookie + "="));
    try {
      const c = kv && JSON.parse(decodeURIComponent(kv.slice(cfg.cookie.length + 1)));
      return c && c.p && typeof c.p === "object" ? c : null;
    } catch {
      return null;
    }
  }

  // Expires counting from the choice (d), so re-writing it never extends it.
  function save() {
    const age = life - (now() - choice.d);
    const secure = location.protocol === "https:" ? "; Secure" : "";
    const value = encodeURIComponent(JSON.stringify(choice));
    doc.cookie = `${cfg.cookie}=${value}; Max-Age=${age}; Path=/; SameSite=Lax${secure}`;
  }

  function isGranted(p) {
    if (p.consent === "not_needed") return true;
    if (choice) return choice.p[p.id] === 1;
    // No choice yet: exempt purposes run unless objected to, even in an outdated choice.
    return p.consent === "exempt_with_opt_out" && !gpc && !(old && old.p[p.id] === 0);
  }

  function apply() {
    granted = {};
    for (const p of cfg.purposes) granted[p.id] = isGranted(p);

    doc.querySelectorAll("[data-gardien-purpose]").forEach(gate);

    // Gardien's audience beacon (async, as inserted) reads `on` before each page view:
    // off under GPC or an objection, on again only by the visitor's explicit choice.
    const a = cfg.audience;
    if (a && (a.on = granted[a.purpose]) && !a.el) {
      a.el = h("script", { src: a.script });
      doc.head.append(Object.assign(a.el, { gardien: a }));
    }

    for (const p of cfg.purposes) {
      if (!granted[p.id]) for (const s of p.services) for (const k of s.cookies) erase(k);
    }

    if (cfg.google_consent_mode) {
      const signal = (mode) =>
        cfg.purposes.some((p) => p.consent_mode === mode && granted[p.id]) ? "granted" : "denied";
      googleConsent("update", signal("advertising"), signal("analytics"));
    }
  }

  // An element marked with a purpose: at load, after each choice, and once added later.
  function gate(el) {
    const on = granted[el.dataset.gardienPurpose] === true;
    if (el.localName === "script") {
      if (el.type !== "text/plain") return; // an activated copy
      if (on && !el.gardienCopy) {
        const s = doc.createElement("script");
        for (const a of el.attributes) if (a.name !== "type") s.setAttribute(a.name, a.value);
        s.nonce = el.nonce;
        s.async = false; // keeps document order
        s.textContent = el.textContent;
        el.after(s);
        el.gardienCopy = s;
      } else if (!on && el.gardienCopy) {
        el.gardienCopy.remove();
        el.gardienCopy = null;
      }
      return;
    }
    cover(el, on);
    if (on && el.dataset.src) {
      if (el.getAttribute("src") !== el.dataset.src) el.src = el.dataset.src;
    } else if (!on) {
      el.removeAttribute("src");
    }
  }

  // A cookie goes from the host and each parent domain; "name*" is a prefix.
  function erase(k) {
    try {
      if (k.storage === "local_storage") return localStorage.removeItem(k.name);
      if (k.storage === "session_storage") return sessionStorage.removeItem(k.name);
    } catch {
      return; // storage blocked: nothing stored
    }
    const prefix = k.name.endsWith("*") && k.name.slice(0, -1);
    const names = prefix
      ? doc.cookie.split("; ").map((s) => s.split("=")[0]).filter((n) => n.startsWith(prefix))
      : [k.name];
    const parts = location.hostname.split(".");
    const domains = [""];
    for (let i = 0; i < parts.length - 1; i++) {
      domains.push("; Domain=." + parts.slice(i).join("."));
    }
    for (const n of names) {
      for (const d of domains) doc.cookie = `${n}=; Max-Age=0; Path=/${d}`;
    }
  }

  // all: true/false for every purpose, {purpose id: true/false}, or null to read the switches.
  function decide(action, all) {
    const p = {};
    const decisions = {};
    for (const x of asked) {
      decisions[x.id] = all === null ? switches[x.id].checked : (all[x.id] ?? all);
      p[x.id] = +decisions[x.id];
    }
    const consented = choice && asked.some((x) => x.consent === "required" && choice.p[x.id]);
    if (action === "refuse_all" && consented) action = "withdraw";
    const id = (choice || old || {}).id || null;
    choice = { id, d: now(), v: cfg.version, h: hash, p };
    save();
    apply();
    hide();
    const body = {
      consent_id: id,
      request_id: newId(),
      action,
      decisions,
      version: cfg.version,
      config_hash: cfg.hash,
      lang: cfg.lang,
      gpc,
    };
    send(body, choice, true);
  }

  // Nothing waits for this. Retried once, same request_id; after a 409 (policy republished)
  // re-sent if the purposes are unchanged, else the next page asks again.
  function send(body, sent, retry = 1) {
    const again = (b, ms) => retry && setTimeout(() => send(b, sent, 0), ms);
    fetch(cfg.api, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      keepalive: true,
    })
      .then((r) => {
        if (r.ok) return r.json().then((j) => remember(sent, j.consent_id));
        if (r.status === 409 && retry) {
          return loadConfig(true).then((c) => {
            const same = c.purposes_hash === cfg.purposes_hash;
            if (same) send({ ...body, version: c.version, config_hash: c.hash }, sent, 0);
          });
        }
        if (r.status === 429) return again(body, 1000 * (r.headers.get("Retry-After") ?? 10));
        if (r.status === 400 && body.consent_id) {
          return r.json().then(
            (j) =>
              j.error === "invalid_consent_id" &&
              again({ ...body, consent_id: null, request_id: newId() }, 0),
          );
        }
        if (r.status < 500) return console.warn("Gardien: choice refused,", r.status);
        throw r.status;
      })
      .catch(() => again(body, 10000));
  }

  function remember(sent, id) {
    if (choice !== sent || !id) return; // a newer choice was made
    choice.id = id;
    save();
    const shown = root.querySelector(".gardien-id");
    if (shown) shown.textContent = id;
  }

  function open(n) {
    if (!layer) back = doc.activeElement;
    layer = n;
    switches = {};
    root.replaceChildren(...(n === 1 ? banner() : settings()).filter(Boolean));
    root.className = n === 1 ? "gardien" : "gardien gardien-panel";
    if (n === 2) root.setAttribute("aria-modal", "true");
    else root.removeAttribute("aria-modal");
    root.hidden = false;
    root.scrollTop = 0;
    backdrop.hidden = n !== 2;
    if (fab) fab.hidden = true;
    root.focus({ preventScroll: true });
  }

  // Focus back where it was, else on the page's first control, never on <body>
  function hide() {
    const at = doc.activeElement;
    if (!layer) return; // GPC decided: nothing was shown
    layer = 0;
    root.hidden = backdrop.hidden = true;
    reserve(); // the room goes now, not at the next frame
    if (fab) fab.hidden = false;
    if (!back || !back.isConnected || back === doc.body) {
      back = [...doc.querySelectorAll("a[href],button,input")].find((e) => e.getClientRects()[0]);
    }
    if (back && (at === doc.body || root.contains(at))) back.focus({ preventScroll: true });
    back = null;
  }

  // Closing is a refusal, unless a choice exists.
  function close() {
    if (choice) hide();
    else decide("close", false);
  }

  function onKey(e) {
    if (e.key === "Escape") {
      e.preventDefault();
      close();
    } else if (e.key === "Tab" && layer === 2) {
      // Focus trap
      const all = root.querySelectorAll("a[href], button, input");
      const first = all[0];
      const last = all[all.length - 1];
      const at = doc.activeElement;
      if (e.shiftKey && (at === first || at === root)) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && at === last) {
        e.preventDefault();
        first.focus();
      }
    }
  }

  const button = (label, click, cls = "gardien-btn") =>
    h("button", { type: "button", class: cls, click }, label);

  const top = (title, skip) => [
    h("h2", { id: "gardien-title" }, title),
    skip,
    h("button", { type: "button", class: "gardien-x", "aria-label": t.close, click: close }, "×"),
  ];
  const about = () => [
    h("p", { id: "gardien-intro" }, t.intro),
    cfg.vendors.length > 0 && h("p", {}, h("strong", {}, t.vendors), " ", cfg.vendors.join(", ")),
  ];
  const links = () =>
    h(
      "p",
      { class: "gardien-links" },
      h("a", { href: cfg.inventory_url }, t.inventory),
      h("a", { href: cfg.policy_url }, t.policy),
    );
  // Same class for all three: same size and weight.
  const actions = (third) =>
    h(
      "div",
      { class: "gardien-actions" },
      button(t.accept_all, () => decide("accept_all", true)),
      button(t.refuse_all, () => decide("refuse_all", false)),
      third,
    );

  function banner() {
    const changed = old && old.h !== hash && cfg.changes;
    return [
      ...top(t.title, button(t.continue_without, () => decide("close", false), "gardien-skip")),
      changed &&
        h("p", { class: "gardien-changes" }, h("strong", {}, t.what_changed), " ", cfg.changes),
      ...about(),
      h("ul", { class: "gardien-names" }, ...asked.map((p) => h("li", {}, p.name))),
      links(),
      actions(button(t.customise, () => open(2))),
    ];
  }

  function settings() {
    const id = (choice && choice.id) || "—";
    return [
      ...top(t.settings),
      gpc && h("p", { class: "gardien-gpc" }, t.gpc),
      ...about(),
      ...cfg.purposes.map(purpose),
      h("p", {}, h("strong", {}, t.consent_id), " ", h("code", { class: "gardien-id" }, id)),
      links(),
      actions(button(t.save, () => decide("custom", null))),
    ];
  }

  function purpose(p, i) {
    const id = `gardien-p${i}`;
    let name = p.name;
    let control = h("span", { class: "gardien-on" }, t.always_on);
    if (p.consent !== "not_needed") {
      name = h("label", { for: id }, p.name);
      control = h("input", { type: "checkbox", role: "switch", id, "aria-describedby": id + "d" });
      control.checked = granted[p.id];
      const sync = () => control.setAttribute("aria-checked", control.checked);
      control.addEventListener("change", sync);
      sync();
      switches[p.id] = control;
    }
    const cookies = (s) =>
      s.cookies.length > 0 && " — " + s.cookies.map((k) => `${k.name} (${k.lifetime})`).join(", ");
    return h(
      "section",
      { class: "gardien-purpose" },
      h("div", { class: "gardien-row" }, h("h3", {}, name), control),
      h("p", { id: id + "d" }, p.description),
      p.consent === "exempt_with_opt_out" && h("p", {}, t.exempt),
      h("ul", {}, ...p.services.map((s) => h("li", {}, h("strong", {}, s.name), cookies(s)))),
    );
  }

  // A blocked embed's placeholder lies over its box, kept in the layout: nothing moves.
  const sizer = new ResizeObserver((all) => all.forEach((e) => fit(e.target)));

  function cover(el, on) {
    const p = cfg.purposes.find((x) => x.id === el.dataset.gardienPurpose);
    const off = on || !p || !el.dataset.src || el.dataset.gardienPlaceholder === "off";
    const ph = el.gardienCover || (!off && placeholder(el, p));
    el.toggleAttribute("data-gardien-blocked", !off);
    if (off) return ph && ph.remove();
    if (el.previousSibling !== ph) el.before(ph);
    fit(el);
  }

  function placeholder(el, p) {
    const mine = p.services.filter((s) => s.id === el.dataset.gardienService);
    const names = (mine[0] ? mine : p.services).map((s) => s.name).join(", ") || p.name;
    const fill = (s) => s.replace("{service}", () => names).replace("{purpose}", () => p.name);
    const attrs = { class: "gardien-placeholder", role: "group", "aria-label": names };
    sizer.observe(el);
    return (el.gardienCover = paint(
      h(
        "div",
        { ...attrs, lang: cfg.lang },
        h("div", {}, fill(t.blocked)),
        button(fill(t.allow), () => decide("custom", { ...granted, [p.id]: true })),
        h("a", { href: cfg.nojs_url, "data-gardien-open-settings": "" }, t.settings),
      ),
    ));
  }

  // Moved from its static place onto the element: they differ in a flex or grid parent.
  function fit(el) {
    const ph = el.gardienCover;
    if (!el.isConnected) ph.remove();
    if (!ph.isConnected) return;
    const a = el.getBoundingClientRect();
    const s = ph.style; // CSSOM: a strict CSP allows it
    s.transform = ""; // measured from its static place; the theme's properties stay
    s.width = a.width + "px";
    s.height = a.height + "px";
    s.visibility = a.width && a.height ? "" : "hidden";
    const b = ph.getBoundingClientRect();
    s.transform = `translate(${a.left - b.left}px,${a.top - b.top}px)`;
  }

  // The script's own additions (copies, placeholders) hold nothing to gate: no loop.
  function watch() {
    new MutationObserver((records) => {
      for (const r of records) {
        for (const n of r.addedNodes) {
          if (n.nodeType !== 1) continue;
          if (n.matches("[data-gardien-purpose]")) gate(n);
          n.querySelectorAll("[data-gardien-purpose]").forEach(gate);
        }
      }
    }).observe(doc.documentElement, { childList: true, subtree: true });
  }
})();
