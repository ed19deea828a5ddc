#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# dbus_service.py NAME [NAME...] - a test service for desktop.sh: owns each
# NAME on the session bus ($DBUS_SESSION_BUS_ADDRESS) and answers
# org.nook.Test.Echo(s) -> s with "echo:" + its argument. Prints "ready"
# on stdout once every name is owned, then serves until killed.
import sys
from gi.repository import Gio, GLib

XML = """<node><interface name='org.nook.Test'>
<method name='Echo'><arg type='s' direction='in'/><arg type='s' direction='out'/></method>
</interface></node>"""

loop = GLib.MainLoop()
conn = Gio.bus_get_sync(Gio.BusType.SESSION, None)
iface = Gio.DBusNodeInfo.new_for_xml(XML).interfaces[0]


def call(conn, sender, path, iface_name, method, params, inv):
    inv.return_value(GLib.Variant("(s)", ("echo:" + params.unpack()[0],)))


conn.register_object("/org/nook/Test", iface, call, None, None)
for name in sys.argv[1:]:
    r = conn.call_sync("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                       "RequestName", GLib.Variant("(su)", (name, 4)), None, 0, -1, None)
    if r.unpack()[0] != 1:
        sys.exit("cannot own " + name)
print("ready", flush=True)
loop.run()
