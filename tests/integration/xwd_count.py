#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# xwd_count.py FILE - print the number of distinct pixel values in an X
# window dump (xwd -root output), for desktop.sh: a blank screen has one,
# a screen an app drew on has more. The XWD header is 25 big-endian 32-bit
# fields; the pixels follow the header (its own size comes first, window
# name included) and the colormap (ncolors entries of 12 bytes).
import struct
import sys

data = open(sys.argv[1], "rb").read()
f = struct.unpack(">25I", data[:100])
header_size, width, height = f[0], f[4], f[5]
byte_order, bpp, bytes_per_line, ncolors = f[7], f[11], f[12], f[19]
if f[1] != 7:
    sys.exit("not an XWD version 7 file")
start = header_size + 12 * ncolors
step = bpp // 8
if step not in (1, 2, 4):
    sys.exit("unsupported %d bits per pixel" % bpp)
seen = set()
for y in range(height):
    row = data[start + y * bytes_per_line: start + y * bytes_per_line + width * step]
    if len(row) < width * step:
        sys.exit("truncated at line %d" % y)
    for x in range(0, width * step, step):
        seen.add(row[x:x + step])
print(len(seen))
