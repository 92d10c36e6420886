"""A real SMTP server for the Python tests (tests/browser, tests/cluster): Debian's aiosmtpd on a
free port of 127.0.0.1, delivering every mail into a Maildir, stopped by its own process."""
import email
import email.policy
import mailbox
import os
import socket
import subprocess
import time


class SmtpSink:
    def __init__(self, folder):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.maildir = os.path.join(folder, "maildir")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:%d" % self.port,
             "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("aiosmtpd did not start")

    def messages(self):
        """Every mail delivered so far, parsed."""
        if not os.path.isdir(self.maildir):
            return []
        return [email.message_from_bytes(raw.as_bytes(), policy=email.policy.default)
                for _, raw in mailbox.Maildir(self.maildir, factory=None).iteritems()]

    def recipients(self):
        """The To: of every mail delivered so far."""
        return [str(msg["To"]) for msg in self.messages()]

    def wait_for_mail(self, to, subject_part, timeout=30):
        """The text of the first mail to `to` whose subject holds `subject_part`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for msg in self.messages():
                if msg["To"] == to and subject_part in msg["Subject"]:
                    return msg.get_body(preferencelist=("plain",)).get_content()
            time.sleep(0.1)
        raise AssertionError("no mail to %s about %r within %ds" % (to, subject_part, timeout))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
