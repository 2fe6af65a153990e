#!/usr/bin/env python3
"""Drives headless Chromium through the DevTools protocol (stdlib only, WebSocket by hand) against a
running `clip-search serve`: types a query, waits for thumbnails, opens a result, clicks "more like
this", uploads a photo, plays a video moment when the catalog holds one, checks the phone layout and
saves a screenshot.

usage: browser_test.py --url http://127.0.0.1:PORT/ --photo PATH [--screenshot docs/screenshot.png]
"""
import argparse, base64, json, os, shutil, socket, struct, subprocess, sys, tempfile, time, urllib.request


class CDP:
    def __init__(self, ws_url):
        host_port, path = ws_url[len("ws://"):].split("/", 1)
        host, port = host_port.split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (f"GET /{path} HTTP/1.1\r\nHost: {host_port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n")
        self.sock.sendall(request.encode())
        response = b""
        while b"\r\n\r\n" not in response:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise RuntimeError("websocket handshake: connection closed")
            response += chunk
        head, self.buffer = response.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise RuntimeError("websocket handshake refused: " + head.decode(errors="replace"))
        self.next_id = 0
        self.events = []

    def _recv_exact(self, count):
        while len(self.buffer) < count:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise RuntimeError("websocket closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def _read_message(self):
        message = b""
        while True:
            first, second = self._recv_exact(2)
            length = second & 0x7F
            if length == 126:
                length = struct.unpack(">H", self._recv_exact(2))[0]
            elif length == 127:
                length = struct.unpack(">Q", self._recv_exact(8))[0]
            payload = self._recv_exact(length)
            opcode = first & 0x0F
            if opcode == 8:
                raise RuntimeError("websocket closed by the browser")
            if opcode in (0, 1, 2):
                message += payload
            if first & 0x80 and opcode != 9 and opcode != 10:
                return json.loads(message.decode())

    def send(self, method, **params):
        self.next_id += 1
        message_id = self.next_id
        data = json.dumps({"id": message_id, "method": method, "params": params}).encode()
        header = bytes([0x81])
        if len(data) < 126:
            header += bytes([0x80 | len(data)])
        elif len(data) < 65536:
            header += bytes([0x80 | 126]) + struct.pack(">H", len(data))
        else:
            header += bytes([0x80 | 127]) + struct.pack(">Q", len(data))
        mask = os.urandom(4)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))
        while True:
            message = self._read_message()
            if message.get("id") == message_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression):
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"page script failed: {expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression, what, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}; status: "
                             + str(self.evaluate("document.getElementById('status').textContent")))


THUMBNAILS_LOADED = """(() => { const images = [...document.querySelectorAll('#results img')];
  return images.length > 0 && images.slice(0, 6).every(i => i.complete && i.naturalWidth > 0) ? images.length : 0; })()"""


def press_enter(cdp):
    for kind in ("keyDown", "keyUp"):
        cdp.send("Input.dispatchKeyEvent", type=kind, key="Enter", code="Enter", windowsVirtualKeyCode=13,
                 nativeVirtualKeyCode=13, **({"text": "\r"} if kind == "keyDown" else {}))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--photo", required=True)
    parser.add_argument("--screenshot")
    parser.add_argument("--query", default="a photo of a rocket")
    arguments = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if not browser:
        sys.exit("chromium is not installed (apt-get install -y chromium)")
    profile = tempfile.mkdtemp(prefix="clipsearch-chromium-")
    port_socket = socket.socket()
    port_socket.bind(("127.0.0.1", 0))
    debug_port = port_socket.getsockname()[1]
    port_socket.close()
    process = subprocess.Popen([browser, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                                f"--remote-debugging-port={debug_port}", f"--user-data-dir={profile}",
                                "--autoplay-policy=no-user-gesture-required", "--window-size=1280,900", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    checks = []
    try:
        targets = None
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=2) as response:
                    targets = [t for t in json.load(response) if t.get("type") == "page"]
                if targets:
                    break
            except OSError:
                pass
            time.sleep(0.2)
        if not targets:
            raise RuntimeError("chromium did not open a debuggable page")
        cdp = CDP(targets[0]["webSocketDebuggerUrl"])
        cdp.send("Page.enable")
        cdp.send("Runtime.enable")
        cdp.send("Emulation.setDeviceMetricsOverride", width=1280, height=900, deviceScaleFactor=1, mobile=False)
        cdp.send("Page.navigate", url=arguments.url)
        cdp.wait_for("document.readyState === 'complete' && document.getElementById('stats').textContent.length > 0", "the page and stats")
        checks.append("page loaded: " + cdp.evaluate("document.getElementById('stats').textContent"))

        # 1. Type a query with real key events, submit with Enter, see thumbnails.
        cdp.evaluate("document.getElementById('q').focus()")
        cdp.send("Input.insertText", text=arguments.query)
        press_enter(cdp)
        count = cdp.wait_for(THUMBNAILS_LOADED, "result thumbnails")
        checks.append(f"text query shows {count} loaded thumbnails")
        if arguments.screenshot:
            cdp.wait_for("""[...document.querySelectorAll('#results img')].filter(i => i.getBoundingClientRect().top < window.innerHeight)
                .every(i => i.complete && i.naturalWidth > 0)""", "every visible thumbnail before the screenshot")
            shot = cdp.send("Page.captureScreenshot", format="png")
            os.makedirs(os.path.dirname(os.path.abspath(arguments.screenshot)), exist_ok=True)
            with open(arguments.screenshot, "wb") as handle:
                handle.write(base64.b64decode(shot["data"]))
            checks.append(f"screenshot saved to {arguments.screenshot}")

        # 2. Open the first result by keyboard, then "more like this".
        first_id = cdp.evaluate("document.querySelector('#results button.result').dataset.mediaId")
        cdp.evaluate("document.querySelector('#results button.result').focus()")
        press_enter(cdp)
        cdp.wait_for("document.getElementById('viewer').open", "the large view")
        cdp.evaluate("document.getElementById('more-like-this').click()")
        cdp.wait_for(f"""(() => {{ const b = [...document.querySelectorAll('#results button.result')];
            return !document.getElementById('viewer').open && b.length > 0 && b.every(x => x.dataset.mediaId !== '{first_id}')
              && document.getElementById('status').textContent.includes('results'); }})()""", "more-like-this results")
        cdp.wait_for(THUMBNAILS_LOADED, "more-like-this thumbnails")
        checks.append("more like this: results without the item itself")

        # 3. Upload a photo: it must find itself first.
        document = cdp.send("DOM.getDocument")
        node = cdp.send("DOM.querySelector", nodeId=document["root"]["nodeId"], selector="#photo")
        cdp.send("DOM.setFileInputFiles", nodeId=node["nodeId"], files=[os.path.abspath(arguments.photo)])
        cdp.wait_for("!document.getElementById('photo-preview').hidden", "the photo preview")
        cdp.evaluate("document.getElementById('q').value = ''")
        cdp.evaluate("document.getElementById('search-button').click()")
        name = os.path.basename(arguments.photo)
        cdp.wait_for(f"""(() => {{ const b = document.querySelector('#results button.result');
            return b && b.getAttribute('aria-label').startsWith({json.dumps(name)}); }})()""", "the uploaded photo as first result")
        checks.append(f"photo upload finds {name} first")

        # 4. A video moment plays from its start, when the catalog holds a video.
        cdp.evaluate("document.getElementById('photo-clear').click(); document.getElementById('type').value = 'video'")
        cdp.evaluate("document.getElementById('q').value = 'a video'; document.getElementById('search-button').click()")
        time.sleep(0.5)
        cdp.wait_for("!document.getElementById('status').textContent.startsWith('Searching')", "the video search")
        has_video = cdp.evaluate("document.querySelectorAll('#results button.result').length > 0")
        if has_video:
            cdp.evaluate("document.querySelector('#results button.result').click()")
            start = cdp.wait_for("(() => { const v = document.getElementById('viewer-video'); return !v.hidden && v.readyState >= 2 ? Number(v.dataset.start) + 1000 : 0; })()",
                                 "the video to load") - 1000
            playing = cdp.wait_for(f"""(() => {{ const v = document.getElementById('viewer-video');
                return !v.paused && v.currentTime >= {start} - 0.1 ? v.currentTime + 1000 : 0; }})()""", "the moment to play", timeout=20) - 1000
            segment = cdp.evaluate("document.getElementById('segment').style.width")
            checks.append(f"video moment plays from {start:.2f} s (at {playing:.2f} s), segment marked ({segment})")
            cdp.evaluate("document.getElementById('viewer-close').click()")
        else:
            checks.append("no video in the catalog: video playback not exercised")

        # 5. Phone-sized layout: nothing wider than the screen.
        cdp.send("Emulation.setDeviceMetricsOverride", width=390, height=844, deviceScaleFactor=2, mobile=True)
        cdp.evaluate("document.getElementById('type').value = 'all'")
        overflow = cdp.wait_for("document.documentElement.scrollWidth <= window.innerWidth + 1 ? 'ok' : ''", "a phone layout without sideways scrolling", timeout=5)
        checks.append("phone layout fits 390 px: " + overflow)
        for line in checks:
            print("ok  " + line)
        print("BROWSER TEST PASSED")
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
