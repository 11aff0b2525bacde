/* Gardien's proof-of-work solver (ALTCHA protocol, SHA-256); its server side is
   gardien/antispam/challenge.py. No dependency, no eval, no inline script: a strict CSP
   on the host keeps working.

   For every <form data-gardien-altcha="URL of GET /api/challenge">: fetch a challenge,
   find the number n with sha256(salt + n) == challenge, and put
   base64(JSON{algorithm, challenge, number, salt, signature}) in the form's
   <input type="hidden" name="altcha"> before the form is sent. The work starts when the
   form first gets the focus, so it is usually done by the time the person submits.

   A form posted by your own script: call event.preventDefault() in a submit listener on
   the form, then `await window.gardienAltcha.solve(form)`, which fills the field and
   returns the payload. Each submission needs a new solution (a used one is refused). */
(() => {
  "use strict";
  const SELECTOR = "form[data-gardien-altcha]";
  const MARGIN_SECONDS = 30; // a solution this close to its expiry is solved again
  const pending = new WeakMap(); // form -> promise of a solution not sent yet
  const sending = new WeakSet(); // forms whose solved submission is being requested

  const expiresAt = (salt) => {
    const found = /[?&]expires=(\d+)/.exec(salt);
    return found ? Number(found[1]) : Infinity;
  };

  const bytesOf = (hex) => Uint8Array.from(hex.match(/../g) || [], (b) => parseInt(b, 16));

  const same = (buffer, bytes) => {
    const view = new Uint8Array(buffer);
    return bytes.every((b, i) => view[i] === b);
  };

  const findNumber = async ({ challenge, maxnumber, salt }) => {
    const encoder = new TextEncoder();
    const target = bytesOf(challenge);
    for (let n = 0; n <= maxnumber; n++) {
      const digest = await crypto.subtle.digest("SHA-256", encoder.encode(salt + n));
      if (same(digest, target)) return n;
    }
    throw new Error("Gardien anti-spam: the challenge has no solution.");
  };

  const prepare = async (form) => {
    const response = await fetch(form.getAttribute("data-gardien-altcha"), {
      credentials: "omit",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`Gardien anti-spam: no challenge (${response.status}).`);
    const { algorithm, challenge, maxnumber, salt, signature } = await response.json();
    const number = await findNumber({ challenge, maxnumber, salt });
    const payload = btoa(JSON.stringify({ algorithm, challenge, number, salt, signature }));
    return { payload, expires: expiresAt(salt) };
  };

  const warm = (form) => {
    if (pending.has(form)) return;
    const work = prepare(form);
    work.catch(() => {}); // reported when the form is sent
    pending.set(form, work);
  };

  const field = (form) => {
    let input = form.querySelector('input[name="altcha"]');
    if (!input) {
      input = Object.assign(document.createElement("input"), { type: "hidden", name: "altcha" });
      form.append(input);
    }
    return input;
  };

  const solve = async (form) => {
    const work = pending.get(form) || prepare(form);
    pending.delete(form); // one solution, one submission
    field(form).value = "";
    let solution = await work.catch(() => null);
    if (!solution || solution.expires - MARGIN_SECONDS <= Date.now() / 1000) {
      solution = await prepare(form);
    }
    field(form).value = solution.payload;
    return solution.payload;
  };

  document.addEventListener("focusin", (event) => {
    const form = event.target.closest?.(SELECTOR);
    if (form) warm(form);
  });

  // On the document, so that it runs after the form's own listeners: a form whose script
  // prevented the default posts itself, with solve().
  document.addEventListener("submit", (event) => {
    const form = event.target;
    const solved = sending.delete(form); // the solved submission: let it go
    if (solved || !form.matches(SELECTOR) || event.defaultPrevented) return;
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return; // still solving
    form.setAttribute("aria-busy", "true");
    const submitter = event.submitter || null;
    // Sent without a solution on failure: Gardien answers with a sentence saying what to do.
    solve(form)
      .catch(() => {})
      .then(() => {
        form.removeAttribute("aria-busy");
        // In a task of its own: Chromium ignores a submission requested while the click
        // that started this one is still being handled.
        setTimeout(() => {
          if (!form.requestSubmit) return form.submit();
          sending.add(form); // its submit event is dispatched before requestSubmit returns
          form.requestSubmit(submitter);
          sending.delete(form);
        }, 0);
      });
  });

  window.gardienAltcha = { solve };
})();
