#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# mkimage.py - write an OCI image layout offline, for the image tests.
#
#   mkimage.py OUT CONFIG.json LAYER.txt[:gzip|:zstd|:none] ...
#
# CONFIG.json is the image config's "config" object (Env, Cmd, ...). Each
# LAYER.txt lists a layer's entries, one a line, fields split on blanks:
#   dir PATH MODE UID GID          file PATH MODE UID GID TEXT
#   host PATH MODE UID GID HOSTFILE    (a copy of a host file)
#   link PATH TARGET               hard PATH TARGET
#   wh PATH                        (a whiteout ".wh.NAME" for PATH)
#   opq DIR                        (DIR/.wh..wh..opq)
#   chr PATH MAJOR MINOR           raw NAME   (an entry named exactly NAME)
#   big PATH SIZE                  (a header claiming SIZE bytes, no data)
#   rand PATH SIZE                 (SIZE random bytes)
#   tree PATH HOSTDIR              (HOSTDIR's tree at PATH, owned by 0)
# The layout gets one manifest, tagged "latest".
import hashlib, io, json, os, subprocess, sys, tarfile

def blob(out, data, media):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return {"mediaType": media, "digest": "sha256:" + d, "size": len(data)}

def layer_tar(spec):
    buf = io.BytesIO()
    t = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
    for line in open(spec):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        k, path = f[0], f[1]
        ti = tarfile.TarInfo(path)
        ti.mtime = 1700000000
        data = None
        if k == "dir":
            ti.type, ti.mode, ti.uid, ti.gid = tarfile.DIRTYPE, int(f[2], 8), int(f[3]), int(f[4])
        elif k in ("file", "host"):
            ti.mode, ti.uid, ti.gid = int(f[2], 8), int(f[3]), int(f[4])
            data = (" ".join(f[5:]) + "\n").encode() if k == "file" else open(f[5], "rb").read()
            ti.size = len(data)
        elif k == "link":
            ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, f[2], 0o777
        elif k == "hard":
            ti.type, ti.linkname = tarfile.LNKTYPE, f[2]
        elif k == "wh":
            d, b = os.path.split(path)
            ti.name = os.path.join(d, ".wh." + b)
        elif k == "opq":
            ti.name = os.path.join(path, ".wh..wh..opq")
        elif k == "chr":
            ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.CHRTYPE, int(f[2]), int(f[3]), 0o666
        elif k == "raw":
            pass
        elif k == "big":
            # the header alone: the archive ends inside the entry's data
            ti.size = int(f[2])
            t.fileobj.write(ti.tobuf(t.format, t.encoding, t.errors))
            t.fileobj.write(bytes(4096))
            continue
        elif k == "tree":
            def root(ti):
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                ti.mtime = 1700000000
                return ti
            t.add(f[2], arcname=path, filter=root)
            continue
        elif k == "rand":
            ti.mode, ti.uid, ti.gid = 0o644, 0, 0
            data = os.urandom(int(f[2]))
            ti.size = len(data)
        else:
            sys.exit("mkimage.py: unknown entry kind " + k)
        t.addfile(ti, io.BytesIO(data) if data is not None else None)
    t.close()
    return buf.getvalue()

def main():
    out, cfg = sys.argv[1], json.load(open(sys.argv[2]))
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    layers, diffs = [], []
    for arg in sys.argv[3:]:
        spec, _, comp = arg.partition(":")
        raw = layer_tar(spec)
        diffs.append("sha256:" + hashlib.sha256(raw).hexdigest())
        comp = comp or "gzip"
        if comp == "gzip":
            import gzip
            data, media = gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        elif comp == "zstd":
            data = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
            media = "application/vnd.oci.image.layer.v1.tar+zstd"
        else:
            data, media = raw, "application/vnd.oci.image.layer.v1.tar"
        layers.append(blob(out, data, media))
    config = {"architecture": "amd64", "os": "linux", "config": cfg,
              "rootfs": {"type": "layers", "diff_ids": diffs}}
    c = blob(out, json.dumps(config).encode(), "application/vnd.oci.image.config.v1+json")
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": c, "layers": layers}
    m = blob(out, json.dumps(man).encode(), "application/vnd.oci.image.manifest.v1+json")
    m["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [m]}, f)

main()
