#!/usr/bin/python3
"""Reads the window's accessibility tree as a screen reader does: through
AT-SPI (at-spi2-core, pyatspi), with org.a11y.Status.ScreenReaderEnabled
set as Orca sets it.

    tree.py IPPUN [ARG ...]

Run inside `dbus-run-session` with DISPLAY set: starts the accessibility
bus, turns the screen-reader flag on, starts `IPPUN ARG ...`, waits until
its window's tree holds a push button (a launch that ends before its
window is tried again, at most three times), prints the tree as JSON lines
({"depth", "role", "name", "text"}) and stops the app. Debian's
python3-pyatspi is for the system Python, hence /usr/bin/python3.
"""

import json
import subprocess
import sys
import time

import pyatspi
from gi.repository import Gio, GLib


def screen_reader_on():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    bus.call_sync(
        "org.a11y.Bus", "/org/a11y/bus", "org.freedesktop.DBus.Properties", "Set",
        GLib.Variant("(ssv)", ("org.a11y.Status", "ScreenReaderEnabled", GLib.Variant("b", True))),
        None, Gio.DBusCallFlags.NONE, 5000, None,
    )


def walk(acc, depth, out):
    try:
        role, name = acc.getRoleName(), acc.name
    except Exception:
        return
    try:
        text = acc.queryText().getText(0, -1)
    except Exception:
        text = None
    out.append({"depth": depth, "role": role, "name": name, "text": text})
    for i in range(acc.childCount):
        child = acc.getChildAtIndex(i)
        if child is not None:
            walk(child, depth + 1, out)


def ippun_tree():
    desktop = pyatspi.Registry.getDesktop(0)
    for i in range(desktop.childCount):
        app = desktop.getChildAtIndex(i)
        if app is not None and app.name == "ippun":
            out = []
            walk(app, 0, out)
            return out
    return []


def main():
    launcher = subprocess.Popen(["/usr/libexec/at-spi-bus-launcher", "--launch-immediately"])
    try:
        end = time.time() + 10
        while True:
            try:
                screen_reader_on()
                break
            except GLib.Error:
                if time.time() > end:
                    raise
                time.sleep(0.2)
        # Now and then the X server refuses a window that opens within
        # moments of the accessibility bus (the app then ends at once with
        # "could not be opened"); such a launch is said and tried again, at
        # most three times.
        for attempt in range(3):
            app = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            try:
                tree, end = [], time.time() + 60
                while time.time() < end and app.poll() is None:
                    tree = ippun_tree()
                    if any(n["role"] == "push button" for n in tree):
                        time.sleep(1)  # one more frame: the tree settles
                        tree = ippun_tree()
                        break
                    time.sleep(0.5)
            finally:
                ended = app.poll()
                app.terminate()
                app.wait(10)
            if tree or ended is None:
                break
            print(f"tree.py: the app ended with status {ended} before its window; again", file=sys.stderr)
            time.sleep(1)
        for n in tree:
            print(json.dumps(n, ensure_ascii=False))
    finally:
        launcher.terminate()


if __name__ == "__main__":
    main()
