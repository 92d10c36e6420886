// The two account pages of Gatehouse: confirm an e-mail address, choose a new password.
// The link's token comes after '#', so the browser never sends it with the page's GET: opening
// the page (as a mail scanner or a link preview does) spends nothing. Only the submission POSTs it.
"use strict";

(function () {
  const page = document.body.dataset.page;
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  const form = document.getElementById("proof");
  const status = document.getElementById("status");
  const button = document.getElementById("submit");

  if (token) {
    document.getElementById("by-code").hidden = true;
    const byLink = document.getElementById("by-link");
    if (byLink) byLink.hidden = false;
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = kind;
  }

  function proof() {
    if (token) return { token: token };
    return {
      email: document.getElementById("email").value.trim(),
      code: document.getElementById("code").value.trim(),
    };
  }

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    let detail = "";
    try {
      const json = await response.json();
      if (typeof json.detail === "string") detail = json.detail;
      else if (Array.isArray(json.detail) && json.detail.length > 0) detail = json.detail[0].msg;
    } catch (e) {
      detail = "";
    }
    return { ok: response.ok, status: response.status, detail: detail };
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    button.disabled = true;
    say("Sending...", "");
    let body = proof();
    let path = "/api/auth/verify-email";
    let done = "Your e-mail address is confirmed. You can sign in now.";
    if (page === "reset-password") {
      body.password = document.getElementById("password").value;
      body.passwordConfirm = document.getElementById("password-confirm").value;
      path = "/api/auth/password/reset";
      done = "Your password is set, and every sign-in was ended. Sign in with the new password.";
    }
    try {
      const answer = await post(path, body);
      if (answer.ok) {
        say(done, "done");
        form.hidden = true;
        // The token is spent: keep it out of the history and of a reload.
        history.replaceState(null, "", location.pathname);
        return;
      }
      if (answer.status === 429) say("Too many attempts. Wait a little, then try again.", "error");
      else say(answer.detail || "Something went wrong (" + answer.status + ").", "error");
    } catch (e) {
      say("The server cannot be reached. Try again in a moment.", "error");
    }
    button.disabled = false;
  });
})();
