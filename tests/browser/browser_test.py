#!/usr/bin/python3
"""Browser tests: the reference client (examples/browser-client) in a real headless Chromium, the
account pages a mail opens, and the API docs (/docs, /redoc).

The client is served on its own origin (http://localhost:C), the API on http://localhost:A (same
site, another origin: the tutorial's set-up), and an attacker's page on http://127.0.0.1:F (another
site). Everything is real: `gatehouse serve` on a fresh SQLite database, Debian's Chromium driven by
chromedriver through Selenium.

    browser_test.py --binary build/gatehouse [--artifacts DIR] [--only NAME]

Prints one line per test and last `N passed, N failed, N skipped`; exits 1 on a failure.
Screenshots of the client's pages land in --artifacts.
"""
import argparse
import base64
import re
import functools
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from smtp_sink import SmtpSink  # noqa: E402  (tests/support: shared with the cluster test)
import jwt  # noqa: E402  Debian's python3-jwt, to write an expired copy of a real access token
from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLIENT_DIR = os.path.join(ROOT, "examples", "browser-client")
FOREIGN_DIR = os.path.join(ROOT, "tests", "browser", "foreign")
PASSWORD = "Passw0rd!42"

ARGS = None  # set in main()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StaticSite:
    """A folder served over HTTP on 127.0.0.1 from a thread of this process."""

    def __init__(self, folder):
        handler = functools.partial(QuietHandler, directory=folder)
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class SlowRefreshProxy:
    """Forwards every request to Gatehouse at once and holds the answers of /api/auth/refresh for
    `hold` seconds before passing them on: a slow network, made deterministic."""

    def __init__(self, upstream_port, hold=0.6):
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def relay(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=10)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                if self.path.startswith("/api/auth/refresh"):
                    time.sleep(proxy.hold)
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "date"):
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_DELETE = do_OPTIONS = relay

        self.hold = hold
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = "http://localhost:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class Gatehouse:
    """`gatehouse serve` in a temporary folder with its own .env and SQLite file."""

    def __init__(self, binary, workdir, client_origin, extra_env=None, port=None):
        self.dir = workdir
        self.port = port or free_port()
        keys = subprocess.run([binary, "keys", "generate"], check=True, capture_output=True, text=True)
        self.env_lines = dict(line.split("=", 1) for line in keys.stdout.splitlines() if "=" in line)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "CLIENT_ORIGIN": client_origin,
            "ARGON2_MEMORY_KIB": "8192",
            "ARGON2_PASSES": "1",
            "LOG_LEVEL": "debug",
            "METRICS_PORT": "0",
            "REFRESH_REUSE_GRACE_SECONDS": os.environ.get("BROWSER_TEST_GRACE", "5"),
            **self.env_lines,
            **(extra_env or {}),
        }
        self.log_path = os.path.join(workdir, "server.log")
        self.log = open(self.log_path, "w")
        # In a session of its own, as in tests/e2e/server_process.cpp (autogroup scheduling).
        self.proc = subprocess.Popen([binary, "serve"], cwd=workdir, env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.base = "http://localhost:%d" % self.port
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("gatehouse exited at start-up:\n" + self.read_log())
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/healthchecker" % self.port, timeout=2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("gatehouse did not answer within 15 s:\n" + self.read_log())

    def private_key_pem(self):
        return base64.b64decode(self.env_lines["JWT_PRIVATE_KEY"])

    def read_log(self):
        self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def api(self, method, path, body=None, headers=None):
        """A plain HTTP call from the test itself (not the browser): (status, json)."""
        data = json.dumps(body).encode() if body is not None else None
        h = {"Content-Type": "application/json"} if data else {}
        h.update(headers or {})
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), data=data,
                                     method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_chromium(profile_dir):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # The console, for tests that check a page logs no error (a CSP violation is one).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1100,900",
                 # A tab in the background would run its timers up to a second late.
                 "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                 "--disable-backgrounding-occluded-windows",
                 "--user-data-dir=" + profile_dir):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)


class ChromiumCase(unittest.TestCase):
    """A test class with a Chromium (cls.driver): a failing test leaves a picture of where it
    stood, and screenshot() keeps pictures of the pages in --artifacts."""

    def tearDown(self):
        if any(err for _, err in getattr(self._outcome, "errors", []) if err):
            self.screenshot("FAILED-" + self._testMethodName)

    def screenshot(self, name):
        if ARGS.artifacts:
            os.makedirs(ARGS.artifacts, exist_ok=True)
            self.driver.save_screenshot(os.path.join(ARGS.artifacts, name + ".png"))


class BrowserFlow(ChromiumCase):
    """One server, one Chromium for the class; every test starts signed out with a new user."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="gatehouse-browser.")
        cls.client_site = StaticSite(CLIENT_DIR)
        cls.foreign_site = StaticSite(FOREIGN_DIR)
        cls.client_origin = "http://localhost:%d" % cls.client_site.port
        cls.server = Gatehouse(ARGS.binary, cls.work, cls.client_origin)
        cls.slow_refresh = SlowRefreshProxy(cls.server.port)
        cls.client_url = "%s/index.html?api=%s" % (cls.client_origin, cls.server.base)
        cls.foreign_url = "http://127.0.0.1:%d/attack.html?api=%s" % (cls.foreign_site.port, cls.server.base)
        cls.driver = start_chromium(os.path.join(cls.work, "profile"))
        cls.driver.set_page_load_timeout(20)
        cls.driver.set_script_timeout(20)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        cls.slow_refresh.stop()
        cls.client_site.stop()
        cls.foreign_site.stop()
        if os.environ.get("KEEP_BROWSER_WORK"):
            print("work folder kept: " + cls.work)
        else:
            shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        d = self.driver
        while len(d.window_handles) > 1:  # tabs a previous test opened
            d.switch_to.window(d.window_handles[-1])
            d.close()
        d.switch_to.window(d.window_handles[0])
        self.clear_cookies()
        self.open_client()
        self.wait_state("signed-out")
        self.email = "browser-%d@example.com" % time.time_ns()

    # ------------------------------------------------------------ helpers

    def clear_cookies(self):
        """Every cookie of every site, once no page of the previous test is left to set one.
        On a loaded machine the client page of the test before could still be refreshing its
        session when the next test began: its answer set fresh cookies after a clearing, and
        the next test found itself signed in."""
        d = self.driver
        d.get("about:blank")  # ends the previous page and its requests
        deadline = time.monotonic() + 10
        while True:
            d.execute_cdp_cmd("Network.clearBrowserCookies", {})
            # An answer already on its way when the page ended may still store a cookie: clear
            # until a look a moment later finds none.
            time.sleep(0.2)
            if not d.execute_cdp_cmd("Network.getAllCookies", {})["cookies"]:
                return
            if time.monotonic() > deadline:
                self.fail("cookies keep coming back after clearing them")

    def open_client(self):
        self.driver.get(self.client_url)

    # Waits are for a real signal and end as soon as it comes; the long limit is for a machine busy
    # with a build, where Chromium alone can take seconds for one page.
    def wait_for(self, condition, what, timeout=45):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(lambda d: condition())
        except TimeoutException:
            self.fail("timed out waiting for %s; status line: %r; %s" % (what, self.status_text(),
                                                                        self.diagnosis()))

    def diagnosis(self):
        """Where a page that never settled stood: its load state, the requests it finished (one
        still pending is missing from the list) and the server's last log lines."""
        try:
            self.screenshot("STUCK-" + self._testMethodName)
            page = self.driver.execute_script(
                "return document.readyState + '; finished: ' + performance.getEntriesByType("
                "'resource').map(e => e.name.replace(/^https?:\\/\\/[^/]+/, '') + ' '"
                " + Math.round(e.duration) + ' ms').join(', ')")
        except Exception as e:  # the browser itself may be what is stuck
            page = "no answer from the page: %s" % e
        return "page: %s; server log: %s" % (page, " | ".join(self.server.read_log().splitlines()[-8:]))

    def wait_state(self, state, timeout=45):
        self.wait_for(lambda: self.driver.execute_script("return document.body.dataset.state") == state,
                      "the page to be " + state, timeout)
        # What a person sees: only the matching part of the page is on screen.
        for part in ("signed-in", "signed-out"):
            self.assertEqual(self.driver.find_element(By.ID, part).is_displayed(), part == state, part)

    def wait_status(self, text, timeout=45):
        self.wait_for(lambda: text in self.status_text(), "status %r" % text, timeout)

    def click_and_wait_status(self, button_id, text, timeout=45):
        """Clicks and waits for `text` to appear anew: the status is cleared first, so a message
        still shown from the last click cannot pass for the answer to this one."""
        self.driver.execute_script("document.getElementById('status').textContent = '';")
        self.driver.find_element(By.ID, button_id).click()
        self.wait_status(text, timeout)

    def status_text(self):
        try:
            return self.driver.find_element(By.ID, "status").text
        except Exception:  # not on the client page
            return ""

    def fill(self, form_id, **values):
        for name, value in values.items():
            field = self.driver.find_element(By.CSS_SELECTOR, "#%s [name=%s]" % (form_id, name))
            field.clear()
            field.send_keys(value)

    def register_and_login(self, email=None):
        email = email or self.email
        self.fill("register-form", name="Ada Browser", email=email, password=PASSWORD,
                  passwordConfirm=PASSWORD)
        self.driver.find_element(By.ID, "register-button").click()
        self.wait_status("Account created")
        self.fill("login-form", email=email, password=PASSWORD)
        self.driver.find_element(By.ID, "login-button").click()
        self.wait_state("signed-in")
        self.wait_status("Logged in.")

    def profile_email(self):
        return self.driver.find_element(By.CSS_SELECTOR, '#profile [data-field="email"]').text

    def session_rows(self):
        return self.driver.find_elements(By.CSS_SELECTOR, "#sessions tbody tr")

    def cookie(self, name):
        c = self.driver.get_cookie(name)
        return c["value"] if c else None

    def replace_access_cookie(self, value):
        """Swaps the HttpOnly access_token cookie of the API's host (cookies ignore ports)."""
        self.driver.delete_cookie("access_token")
        self.driver.add_cookie({"name": "access_token", "value": value, "path": "/",
                                "httpOnly": True, "sameSite": "Lax"})

    def api_login(self, email):
        """A login from elsewhere (another device): its own session."""
        status, body = self.server.api("POST", "/api/auth/login", {"email": email, "password": PASSWORD},
                                       {"User-Agent": "other-device/1.0"})
        self.assertEqual(status, 200, body)
        return body

    # ------------------------------------------------------------ the tests

    def test_whole_flow_with_httponly_cookies(self):
        d = self.driver
        self.screenshot("01-signed-out")
        self.register_and_login()
        self.assertEqual(self.profile_email(), self.email)
        rows = self.session_rows()
        self.assertEqual(len(rows), 1)
        self.assertIn("current", rows[0].get_attribute("class"))
        self.screenshot("02-signed-in")

        # The tokens are in HttpOnly cookies: the browser has them, the page cannot see them.
        self.assertTrue(self.cookie("access_token"))
        self.assertTrue(d.get_cookie("access_token")["httpOnly"])
        self.assertTrue(d.get_cookie("refresh_token")["httpOnly"])
        page_cookies = d.execute_script("return document.cookie")
        self.assertNotIn("access_token", page_cookies)
        self.assertNotIn("refresh_token", page_cookies)
        self.assertNotIn(self.cookie("access_token"), page_cookies)
        self.assertEqual(d.execute_script("return localStorage.length + sessionStorage.length"), 0)

        # A reload of the page keeps the session (the cookies, not page state, carry it).
        self.open_client()
        self.wait_state("signed-in")
        self.assertEqual(self.profile_email(), self.email)

        d.find_element(By.ID, "logout-button").click()
        self.wait_state("signed-out")
        self.wait_status("Logged out.")
        self.assertIsNone(self.cookie("access_token"))
        self.assertIsNone(self.cookie("refresh_token"))
        self.screenshot("03-logged-out")
        self.open_client()
        self.wait_state("signed-out")

    def test_log_out_one_other_device_and_everywhere_else(self):
        self.register_and_login()
        other_a = self.api_login(self.email)
        other_b = self.api_login(self.email)
        self.click_and_wait_status("reload-button", "Profile reloaded.")
        self.wait_for(lambda: len(self.session_rows()) == 3, "three sessions")
        self.screenshot("04-three-sessions")

        # "Log out" on one other device's row: that device's tokens stop working at once.
        row = next(r for r in self.session_rows() if "current" not in r.get_attribute("class"))
        row.find_element(By.TAG_NAME, "button").click()
        self.wait_status("That device is logged out.")
        self.wait_for(lambda: len(self.session_rows()) == 2, "two sessions")
        ended = [o for o in (other_a, other_b)
                 if self.server.api("GET", "/api/users/me",
                                    headers={"Authorization": "Bearer " + o["access_token"]})[0] == 401]
        self.assertEqual(len(ended), 1)

        self.driver.find_element(By.ID, "logout-others-button").click()
        self.wait_status("Logged out everywhere else (1 ended)")
        self.wait_for(lambda: len(self.session_rows()) == 1, "one session")
        for other in (other_a, other_b):
            status, _ = self.server.api("GET", "/api/users/me",
                                        headers={"Authorization": "Bearer " + other["access_token"]})
            self.assertEqual(status, 401)
        self.assertEqual(self.profile_email(), self.email)  # this device stays signed in

    def test_expired_access_token_is_refreshed_transparently(self):
        self.register_and_login()
        refresh_before = self.cookie("refresh_token")

        # 1. The access cookie has expired in the browser (its Max-Age is the token's lifetime).
        self.driver.delete_cookie("access_token")
        self.click_and_wait_status("reload-button", "Profile reloaded.")
        self.assertNotEqual(self.cookie("refresh_token"), refresh_before)  # it rotated
        self.assertTrue(self.cookie("access_token"))

        # 2. The cookie is still there but the token inside has expired (clock skew, a sleeping
        # laptop): the same token, as Gatehouse signed it 16 minutes earlier.
        current = self.cookie("access_token")
        claims = jwt.decode(current, options={"verify_signature": False})
        for claim in ("iat", "nbf", "exp"):
            claims[claim] -= 16 * 60
        expired = jwt.encode(claims, self.server.private_key_pem(), algorithm="RS256",
                             headers={"typ": "JWT"})
        status, body = self.server.api("GET", "/api/users/me", headers={"Authorization": "Bearer " + expired})
        self.assertEqual((status, body["detail"]), (401, "Token is invalid or has expired"))
        self.replace_access_cookie(expired)
        self.click_and_wait_status("reload-button", "Profile reloaded.")
        self.assertNotEqual(self.cookie("access_token"), expired)
        self.assertEqual(self.profile_email(), self.email)
        self.assertEqual(len(self.session_rows()), 1)  # refreshed, not a new login

    def test_two_tabs_refreshing_at_once_stay_logged_in(self):
        d = self.driver
        self.register_and_login()
        # Both tabs find the access token gone and refresh at the same moment with the same
        # refresh cookie. Their API calls go through a proxy that holds each refresh answer for
        # 0.6 s after Gatehouse has given it, as a slow network would: whichever refresh reaches
        # Gatehouse second carries the token the first has just retired, however the two tabs'
        # timers happen to be spaced.
        proxy_url = self.client_url.replace(self.server.base, self.slow_refresh.base)
        tabs = [d.current_window_handle]
        d.get(proxy_url)
        self.wait_state("signed-in")
        d.switch_to.new_window("tab")
        tabs.append(d.current_window_handle)
        d.get(proxy_url)
        self.wait_state("signed-in")
        d.delete_cookie("access_token")
        at = int(time.time() * 1000) + 1000
        for tab in tabs:
            d.switch_to.window(tab)
            d.execute_script("""
                const at = arguments[0];
                setTimeout(() => document.querySelector('#reload-button').click(), at - Date.now());""", at)
        time.sleep(max(0, at / 1000 - time.time()))
        for tab in tabs:
            d.switch_to.window(tab)
            self.wait_status("Profile reloaded.", timeout=15)
            self.assertEqual(self.profile_email(), self.email)
        log = self.server.read_log()
        self.assertIn("within the grace interval", log, "the two refreshes did not overlap")
        self.assertNotIn("reuse detected", log)
        self.screenshot("05-second-tab-after-concurrent-refresh")

        # Still one session, and both tabs keep working on the tokens the grace handed out.
        for tab in tabs:
            d.switch_to.window(tab)
            d.find_element(By.ID, "reload-button").click()
            self.wait_status("Profile reloaded.")
            self.assertEqual(len(self.session_rows()), 1)

    def test_foreign_site_cannot_read_answers(self):
        self.register_and_login()
        d = self.driver
        d.get(self.foreign_url)
        result = d.execute_async_script(
            "window.readAnswers(arguments[0]).then(arguments[arguments.length - 1])", self.server.base)
        # Every fetch fails in the browser: no CORS grant for this origin, so nothing is readable.
        for path, outcome in result.items():
            self.assertEqual(outcome, "blocked", path)
        self.screenshot("06-foreign-site")

    def test_foreign_site_cannot_log_the_user_out(self):
        self.register_and_login()
        d = self.driver
        d.get(self.foreign_url)
        # A background request with the user's cookies (SameSite=Lax keeps them off it).
        d.execute_async_script("window.backgroundLogout(arguments[0]).then(arguments[arguments.length - 1])",
                               self.server.base)
        # A link: a top-level GET carries Lax cookies, so only the server's cross-site check stops it.
        d.get(self.foreign_url)
        d.execute_script("document.getElementById('logout-link').click()")
        self.wait_for(lambda: "Forbidden" in d.find_element(By.TAG_NAME, "body").text,
                      "the 403 of the cross-site logout link")
        # A form post (top-level POST).
        d.get(self.foreign_url)
        d.execute_script("document.getElementById('logout-form').submit()")
        self.wait_for(lambda: d.current_url.startswith(self.server.base), "the logout form's answer")

        self.open_client()
        self.wait_state("signed-in")
        self.assertEqual(self.profile_email(), self.email)
        self.assertEqual(len(self.session_rows()), 1)

    def test_foreign_site_cannot_log_the_user_in(self):
        # Login CSRF: the attacker's page posts the attacker's credentials as a text/plain form
        # (no CORS preflight). Were it accepted, the victim would be signed into the attacker's
        # account and type their data into it.
        attacker = "attacker-%d@example.com" % int(time.time() * 1000)
        status, _ = self.server.api("POST", "/api/auth/register",
                                    {"name": "Mallory", "email": attacker, "photo": "m.png",
                                     "password": PASSWORD, "passwordConfirm": PASSWORD})
        self.assertEqual(status, 201)
        d = self.driver
        d.get(self.foreign_url)
        d.execute_script("window.loginAs(arguments[0], arguments[1])", attacker, PASSWORD)
        self.wait_for(lambda: d.current_url.startswith(self.server.base), "the login form's answer")
        # A form cannot send JSON: the route refuses its text/plain body before anything else (a
        # JSON fetch from the page would need a CORS preflight, and the login route's cross-site
        # check, tested end to end, refuses a foreign Origin on top).
        self.assertIn("The request body must be JSON", d.find_element(By.TAG_NAME, "body").text)
        self.assertIsNone(self.cookie("access_token"))
        self.open_client()
        self.wait_state("signed-out")


class MailFlow(ChromiumCase):
    """The account pages a mail's link opens, in Chromium: merely opening the link changes nothing;
    confirming on the page does, and the user can then sign in."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="gatehouse-browser-mail.")
        cls.sink = SmtpSink(cls.work)
        port = free_port()
        cls.server = Gatehouse(ARGS.binary, cls.work, "http://localhost:%d" % free_port(), {
            "REQUIRE_EMAIL_VERIFICATION": "true",
            "SMTP_URL": "smtp://127.0.0.1:%d" % cls.sink.port,
            "MAIL_FROM": "no-reply@example.com",
            "APP_URL": "http://localhost:%d" % port,
        }, port=port)
        cls.driver = start_chromium(os.path.join(cls.work, "profile"))
        cls.driver.set_page_load_timeout(20)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        cls.sink.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def link_in(self, text):
        match = re.search(r"(http://localhost:\d+/auth/[a-z-]+#token=[A-Za-z0-9_-]+)", text)
        self.assertIsNotNone(match, text)
        return match.group(1)

    def login_status(self, email, password=PASSWORD):
        return self.server.api("POST", "/api/auth/login", {"email": email, "password": password})[0]

    def wait_status(self, text, timeout=45):
        WebDriverWait(self.driver, timeout, poll_frequency=0.05).until(
            lambda d: text in d.find_element(By.ID, "status").text)

    def test_opening_the_mail_link_verifies_nothing_until_confirmed(self):
        address = "verify-%d@example.com" % time.time_ns()
        status, _ = self.server.api("POST", "/api/auth/register", {
            "name": "V", "email": address, "photo": "p", "password": PASSWORD,
            "passwordConfirm": PASSWORD})
        self.assertEqual(status, 201)
        link = self.link_in(self.sink.wait_for_mail(address, "Confirm your e-mail address"))
        self.driver.get(link)
        WebDriverWait(self.driver, 20).until(lambda d: d.find_element(By.ID, "submit").is_displayed())
        self.screenshot("verify-email-page")
        self.driver.refresh()  # opened twice, as a scanner and then its user might
        self.assertEqual(self.login_status(address), 401, "opening the link verified the address")
        self.driver.find_element(By.ID, "submit").click()
        self.wait_status("confirmed")
        self.screenshot("verify-email-done")
        self.assertEqual(self.login_status(address), 200)
        self.assertNotIn("token=", self.driver.current_url, "the spent token stays in the address bar")

    def test_reset_password_page_sets_the_new_password(self):
        address = "reset-%d@example.com" % time.time_ns()
        self.server.api("POST", "/api/auth/register", {
            "name": "R", "email": address, "photo": "p", "password": PASSWORD,
            "passwordConfirm": PASSWORD})
        verify = self.link_in(self.sink.wait_for_mail(address, "Confirm your e-mail address"))
        token = verify.split("#token=")[1]
        self.assertEqual(self.server.api("POST", "/api/auth/verify-email", {"token": token})[0], 200)
        self.assertEqual(self.server.api("POST", "/api/auth/password/forgot", {"email": address})[0], 202)
        link = self.link_in(self.sink.wait_for_mail(address, "Reset your"))
        self.driver.get(link)
        WebDriverWait(self.driver, 20).until(lambda d: d.find_element(By.ID, "password").is_displayed())
        self.assertEqual(self.login_status(address), 200, "opening the reset link changed nothing")
        self.driver.find_element(By.ID, "password").send_keys("brand new password")
        self.driver.find_element(By.ID, "password-confirm").send_keys("brand new password")
        self.driver.find_element(By.ID, "submit").click()
        self.wait_status("Your password is set")
        self.screenshot("reset-password-done")
        self.assertEqual(self.login_status(address), 400)
        self.assertEqual(self.login_status(address, "brand new password"), 200)


class Result(unittest.TextTestResult):
    passed = 0
    _started = time.monotonic()

    def startTest(self, test):
        self._started = time.monotonic()
        super().startTest(test)

    def _line(self, verdict, test, reason=""):
        secs = time.monotonic() - self._started
        name = getattr(test, "_testMethodName", str(test))  # str(): a failed setUpClass
        self.stream.write("%s browser.%s (%.1fs)%s\n" % (verdict, name, secs,
                                                         " - " + reason if reason else ""))
        self.stream.flush()

    def addSuccess(self, test):
        super().addSuccess(test)
        Result.passed += 1
        self._line("PASS", test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line("FAIL", test, "".join(traceback.format_exception_only(err[0], err[1])).strip())

    def addError(self, test, err):
        super().addError(test, err)
        self._line("FAIL", test, "".join(traceback.format_exception(*err)).strip())

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line("SKIP", test, reason)


class DocsPages(ChromiumCase):
    """/docs (Swagger UI) and /redoc in Chromium, as a tutorial user opens them first: every route of
    /openapi.json is listed, "Try it out" works against the same server (cookies included), and
    neither page logs a console error: a Content-Security-Policy violation would be one."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="gatehouse-browser-docs.")
        cls.server = Gatehouse(ARGS.binary, cls.work, "http://localhost:%d" % free_port())
        with urllib.request.urlopen(cls.server.base + "/openapi.json", timeout=10) as r:
            cls.document = json.load(r)
        cls.driver = start_chromium(os.path.join(cls.work, "profile"))
        cls.driver.set_page_load_timeout(30)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        cls.server.stop()
        shutil.rmtree(cls.work, ignore_errors=True)

    def setUp(self):
        self.driver.delete_all_cookies()
        self.driver.get_log("browser")  # drops what earlier pages logged

    def operations(self):
        return {(method.upper(), path) for path, item in self.document["paths"].items()
                for method in item}

    def wait(self, condition, what, timeout=60):
        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(lambda d: condition())
        except TimeoutException:
            self.fail("timed out waiting for " + what)

    def console_errors(self):
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def swagger_block(self, method, path):
        for block in self.driver.find_elements(By.CSS_SELECTOR, ".opblock"):
            summary = block.find_element(By.CSS_SELECTOR, ".opblock-summary-path")
            if (block.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text == method and
                    summary.get_attribute("data-path") == path):
                return block
        self.fail("Swagger UI does not list %s %s" % (method, path))

    def try_it_out(self, method, path, body=None):
        """Opens an operation, presses Try it out (with `body` in its editor) and Execute; returns
        the status Swagger UI shows."""
        block = self.swagger_block(method, path)
        block.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
        self.wait(lambda: block.find_elements(By.CSS_SELECTOR, ".try-out__btn"), "Try it out")
        block.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
        if body is not None:
            editor = self.wait(lambda: block.find_elements(By.CSS_SELECTOR, "textarea.body-param__text"),
                               "the body editor")[0]
            self.driver.execute_script("arguments[0].select();", editor)
            editor.send_keys(json.dumps(body))
        block.find_element(By.CSS_SELECTOR, ".execute").click()
        cell = ".live-responses-table tbody .response-col_status"  # not the header row's "Code"
        self.wait(lambda: block.find_elements(By.CSS_SELECTOR, cell) and
                  block.find_element(By.CSS_SELECTOR, cell).text.strip(), "the answer of " + path)
        status = block.find_element(By.CSS_SELECTOR, cell)
        self.driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", status)
        return status.text.strip()

    def test_swagger_ui_lists_every_route_and_tries_them_out_with_cookies(self):
        d = self.driver
        d.get(self.server.base + "/docs")
        expected = self.operations()
        self.wait(lambda: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= len(expected),
                  "%d operations in Swagger UI" % len(expected))
        listed = {(b.find_element(By.CSS_SELECTOR, ".opblock-summary-method").text,
                   b.find_element(By.CSS_SELECTOR, ".opblock-summary-path").get_attribute("data-path"))
                  for b in d.find_elements(By.CSS_SELECTOR, ".opblock")}
        self.assertEqual(listed, expected)
        self.screenshot("docs-swagger-ui")

        self.assertEqual(self.try_it_out("GET", "/api/healthchecker"), "200")
        # Log in from the page; the browser keeps the HttpOnly cookies and /me reads them.
        email = "docs-%d@example.com" % time.time_ns()
        status, _ = self.server.api("POST", "/api/auth/register", {
            "name": "Docs", "email": email, "photo": "p", "password": PASSWORD,
            "passwordConfirm": PASSWORD})
        self.assertEqual(status, 201)
        self.assertEqual(self.try_it_out("POST", "/api/auth/login",
                                         {"email": email, "password": PASSWORD}), "200")
        self.assertEqual(self.try_it_out("GET", "/api/users/me"), "200")
        self.screenshot("docs-try-it-out")
        self.assertEqual(self.console_errors(), [])

    def test_swagger_ui_authorizes_with_a_bearer_token(self):
        d = self.driver
        email = "docs-bearer-%d@example.com" % time.time_ns()
        self.server.api("POST", "/api/auth/register", {
            "name": "Docs", "email": email, "photo": "p", "password": PASSWORD,
            "passwordConfirm": PASSWORD})
        status, body = self.server.api("POST", "/api/auth/login", {"email": email, "password": PASSWORD})
        self.assertEqual(status, 200)
        d.get(self.server.base + "/docs")
        self.wait(lambda: d.find_elements(By.CSS_SELECTOR, ".btn.authorize"), "the Authorize button")
        d.find_element(By.CSS_SELECTOR, ".btn.authorize").click()
        containers = self.wait(lambda: [c for c in d.find_elements(By.CSS_SELECTOR, ".auth-container")
                                        if "bearerAuth" in c.text], "the bearerAuth form")
        containers[0].find_element(By.CSS_SELECTOR, "input").send_keys(body["access_token"])
        containers[0].find_element(By.CSS_SELECTOR, ".auth-btn-wrapper .authorize").click()
        d.find_element(By.CSS_SELECTOR, ".btn-done").click()
        self.assertIsNone(d.get_cookie("access_token"))  # the token goes in the header only
        self.assertEqual(self.try_it_out("GET", "/api/users/me"), "200")
        self.screenshot("docs-bearer")
        self.assertEqual(self.console_errors(), [])

    def test_redoc_renders_every_operation_without_console_errors(self):
        d = self.driver
        d.get(self.server.base + "/redoc")
        expected = len(self.operations())
        self.wait(lambda: len(d.find_elements(By.CSS_SELECTOR, "[data-section-id^='operation/']"))
                  >= expected, "%d operations in ReDoc" % expected)
        self.assertIn("Gatehouse", d.find_element(By.CSS_SELECTOR, "h1").text)
        self.screenshot("docs-redoc")
        self.assertEqual(self.console_errors(), [])


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--artifacts", default="")
    parser.add_argument("--only", action="append", default=[])
    ARGS = parser.parse_args()
    ARGS.binary = os.path.abspath(ARGS.binary)
    loader = unittest.TestLoader()
    suite = unittest.TestSuite([loader.loadTestsFromTestCase(BrowserFlow),
                                loader.loadTestsFromTestCase(MailFlow),
                                loader.loadTestsFromTestCase(DocsPages)])
    if ARGS.only:
        tests = [t for case in suite for t in case]
        suite = unittest.TestSuite(t for t in tests if any(o in t._testMethodName for o in ARGS.only))
    runner = unittest.TextTestRunner(stream=sys.stdout, resultclass=Result, verbosity=0)
    result = runner.run(suite)
    # Every test that neither passed nor was skipped failed, including those a failed
    # setUpClass never ran (unittest reports that as one error of the class).
    skipped = len(result.skipped)
    failed = suite.countTestCases() - Result.passed - skipped
    print("%d passed, %d failed, %d skipped" % (Result.passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
