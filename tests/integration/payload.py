# SPDX-License-Identifier: GPL-2.0-or-later
import asyncio, hashlib, multiprocessing as mp, os, socket, sqlite3, ssl, subprocess, tempfile, threading, time
def sq(x):
    return x * x
if __name__ == "__main__":
    t = threading.Thread(target=time.sleep, args=(0.01,)); t.start(); t.join()
    assert subprocess.run(["true"]).returncode == 0
    assert subprocess.check_output(["sh", "-c", "echo hi"]) == b"hi\n"
    with mp.Pool(2) as p:
        assert p.map(sq, range(4)) == [0, 1, 4, 9]
    a, b = socket.socketpair(); a.send(b"x"); assert b.recv(1) == b"x"
    s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(); s.close()
    db = sqlite3.connect(":memory:"); db.execute("create table t(x)"); db.execute("insert into t values (1)")
    with tempfile.TemporaryDirectory() as d:
        open(d + "/f", "w").write("x"); os.rename(d + "/f", d + "/g"); os.stat(d + "/g")
    asyncio.run(asyncio.sleep(0.01))
    ssl.create_default_context(); hashlib.sha256(b"x").hexdigest()
    os.sched_getaffinity(0); os.uname(); os.getrandom(4)
    print("python-ok")
