#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""fake_wl_secctx.py SOCKET - a fake Wayland compositor for
wayland-secctx.sh: it speaks just enough of the wire protocol (wl_display
get_registry and sync, wl_registry global and bind, wl_callback done,
wl_display delete_id) to advertise wp_security_context_manager_v1 version 1,
and prints one line per thing it sees, flushed:

  ready
  conn N                       a client connected
  req N IFACE.REQUEST [ARG]    a request (strings shown as they are)
  fds N K                      K file descriptors came with client N's data
  listen_fd C listening=0|1 family=F
  close_fd C                   context C's close_fd (polled for hang-up)
  commit C
  hangup C                     context C's close_fd hung up
  accepted C                   a connection on context C's listen_fd (it
                               gets "fake-compositor C\\n" and is closed)
  eof N                        client N went away

A client that sends something else gets its connection closed ("bad N ...").
"""
import array
import os
import select
import socket
import struct
import sys

MGR = "wp_security_context_manager_v1"
MGR_REQ = {0: "destroy", 1: "create_listener"}
CTX_REQ = {0: "destroy", 1: "set_sandbox_engine", 2: "set_app_id", 3: "set_instance_id", 4: "commit"}


def out(*a):
    print(*a, flush=True)


def string_arg(body, off):
    (n,) = struct.unpack_from("=I", body, off)
    s = body[off + 4:off + 4 + n - 1].decode() if n else None
    return s, off + 4 + ((n + 3) & ~3)


class Client:
    def __init__(self, sock, num):
        self.sock, self.num = sock, num
        self.buf = b""
        self.fds = []
        self.objects = {1: "wl_display"}
        self.serial = 0

    def send(self, obj, opcode, payload=b""):
        self.sock.sendall(struct.pack("=II", obj, ((8 + len(payload)) << 16) | opcode) + payload)


class Fake:
    def __init__(self, path):
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(path)
        self.lsock.listen(16)
        self.clients = {}   # fileno -> Client
        self.listeners = {}  # fileno -> (context number, socket)
        self.closers = {}   # fileno -> context number
        self.nconn = 0
        self.nctx = 0
        self.poll = select.poll()
        self.poll.register(self.lsock, select.POLLIN)

    def drop(self, c, why=None):
        if why:
            out("bad", c.num, why)
        else:
            out("eof", c.num)
        self.poll.unregister(c.sock)
        del self.clients[c.sock.fileno()]
        c.sock.close()
        for fd in c.fds:
            os.close(fd)

    def request(self, c, obj, opcode, body):
        iface = c.objects.get(obj)
        if iface == "wl_display" and opcode == 1:       # get_registry(new_id)
            (new,) = struct.unpack_from("=I", body)
            c.objects[new] = "wl_registry"
            out("req", c.num, "wl_display.get_registry")
            s = MGR.encode() + b"\0"
            payload = struct.pack("=II", 7, len(s)) + s + b"\0" * ((4 - len(s) % 4) % 4) + struct.pack("=I", 1)
            c.send(new, 0, payload)                       # wl_registry.global(7, MGR, 1)
        elif iface == "wl_display" and opcode == 0:     # sync(new_id)
            (new,) = struct.unpack_from("=I", body)
            out("req", c.num, "wl_display.sync")
            c.serial += 1
            c.send(new, 0, struct.pack("=I", c.serial))   # wl_callback.done
            c.send(1, 1, struct.pack("=I", new))          # wl_display.delete_id
        elif iface == "wl_registry" and opcode == 0:    # bind(name, new_id: iface, version, id)
            (name,) = struct.unpack_from("=I", body)
            ifname, off = string_arg(body, 4)
            version, new = struct.unpack_from("=II", body, off)
            out("req", c.num, "wl_registry.bind", name, ifname, version)
            if name != 7 or ifname != MGR or version != 1:
                return "bind of an unknown global"
            c.objects[new] = MGR
        elif iface == MGR and opcode in MGR_REQ:
            out("req", c.num, MGR + "." + MGR_REQ[opcode])
            if opcode == 0:
                del c.objects[obj]
                c.send(1, 1, struct.pack("=I", obj))
                return None
            (new,) = struct.unpack_from("=I", body)
            if len(c.fds) < 2:
                return "create_listener without its two fds"
            lfd, cfd = c.fds.pop(0), c.fds.pop(0)
            self.nctx += 1
            n = self.nctx
            c.objects[new] = ("ctx", n)
            ls = socket.socket(fileno=lfd)
            listening = ls.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            out("listen_fd", n, "listening=%d" % listening, "family=%d" % ls.family)
            out("close_fd", n)
            self.pending = (n, ls, cfd)
        elif isinstance(iface, tuple) and opcode in CTX_REQ:
            n = iface[1]
            name = CTX_REQ[opcode]
            arg = ""
            if opcode in (1, 2, 3):
                arg, _ = string_arg(body, 0)
            out("req", c.num, "wp_security_context_v1." + name, arg)
            if opcode == 4:
                out("commit", n)
                pn, ls, cfd = self.pending
                self.listeners[ls.fileno()] = (pn, ls)
                self.poll.register(ls, select.POLLIN)
                self.closers[cfd] = pn
                self.poll.register(cfd, 0)  # hang-up and errors only
            if opcode == 0:
                del c.objects[obj]
                c.send(1, 1, struct.pack("=I", obj))
        else:
            return "request %d on object %d (%s)" % (opcode, obj, iface)
        return None

    def readable(self, c):
        try:
            data, fds, _, _ = socket.recv_fds(c.sock, 65536, 16)
        except ConnectionResetError:
            return self.drop(c)  # it closed with our last events unread
        except OSError as e:
            return self.drop(c, str(e))
        if fds:
            out("fds", c.num, len(fds))
            c.fds += fds
        if not data:
            return self.drop(c)
        c.buf += data
        while len(c.buf) >= 8:
            obj, word = struct.unpack_from("=II", c.buf)
            size, opcode = word >> 16, word & 0xffff
            if size < 8 or len(c.buf) < size:
                break
            body, c.buf = c.buf[8:size], c.buf[size:]
            try:
                why = self.request(c, obj, opcode, body)
            except (BrokenPipeError, ConnectionResetError):
                return self.drop(c)  # it went away before our answer
            if why:
                return self.drop(c, why)

    def run(self):
        out("ready")
        while True:
            for fd, ev in self.poll.poll():
                if fd == self.lsock.fileno():
                    s, _ = self.lsock.accept()
                    self.nconn += 1
                    self.clients[s.fileno()] = Client(s, self.nconn)
                    self.poll.register(s, select.POLLIN)
                    out("conn", self.nconn)
                elif fd in self.clients:
                    self.readable(self.clients[fd])
                elif fd in self.listeners:
                    n, ls = self.listeners[fd]
                    s, _ = ls.accept()
                    out("accepted", n)
                    s.sendall(b"fake-compositor %d\n" % n)
                    s.close()
                elif fd in self.closers and ev & (select.POLLHUP | select.POLLERR):
                    n = self.closers.pop(fd)
                    self.poll.unregister(fd)
                    os.close(fd)
                    out("hangup", n)
                    # as a compositor does: no more connections there
                    n2, ls = next((v for v in self.listeners.values() if v[0] == n))
                    self.poll.unregister(ls)
                    del self.listeners[ls.fileno()]
                    ls.close()


if __name__ == "__main__":
    Fake(sys.argv[1]).run()
