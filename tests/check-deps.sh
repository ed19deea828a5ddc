#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
# check-deps.sh - libnook has no dependency cycle, between its subsystems
# (the folders of src/lib) or between its files.
#
# A file depends on another when it calls a function or uses a variable
# the other defines (read from the object files with nm). A subsystem also
# depends on the subsystems whose headers its files include: a header
# beside the code belongs to that folder, include/nook/X.h to the folder
# that holds X.c (base/ if none).
# It also checks that include/nook holds only headers that two subsystems
# (or a subsystem and the CLI) share. The check prints the subsystem graph,
# then one TAP line per property.
# It runs from `make check` with NOOK_SRCDIR and NOOK_BUILDDIR set.
set -u

: "${NOOK_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${NOOK_BUILDDIR:=$NOOK_SRCDIR}"
NM=${NM:-nm}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/nook-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# cycles < EDGES: "from to" lines; prints each group of nodes that reach
# each other (a strongly connected component of two or more), one a line.
cycles() {
	awk '
	{ if ($1 != $2) { e[$1, $2] = 1 } node[$1] = 1; node[$2] = 1 }
	END {
		m = 0
		for (a in node) id[++m] = a
		for (i = 1; i <= m; i++)
			for (j = 1; j <= m; j++)
				r[i, j] = ((id[i], id[j]) in e) ? 1 : 0
		for (k = 1; k <= m; k++)
			for (i = 1; i <= m; i++)
				if (r[i, k])
					for (j = 1; j <= m; j++)
						if (r[k, j]) r[i, j] = 1
		for (i = 1; i <= m; i++) {
			if (done[i] || !r[i, i]) continue
			line = id[i]; done[i] = 1
			for (j = 1; j <= m; j++)
				if (j != i && !done[j] && r[i, j] && r[j, i]) { line = line " " id[j]; done[j] = 1 }
			print line
		}
	}'
}

# 1. the finder itself finds a planted cycle (so a pass below means something)
planted=$(printf 'a b\nb c\nc a\nc d\n' | cycles)
case "$planted" in
*a*b*c* | *a*c*b* | *b*a*c* | *b*c*a* | *c*a*b* | *c*b*a*) ok "the cycle finder finds a planted three-file cycle" ;;
*) notok "the cycle finder finds a planted three-file cycle (got '$planted')" ;;
esac

# 2. the objects: one per source file of src/lib
: > "$tmp/files"
missing=""
nsrc=0
for c in "$NOOK_SRCDIR"/src/lib/*/*.c; do
	[ -e "$c" ] || continue
	nsrc=$((nsrc + 1))
	rel=${c#"$NOOK_SRCDIR"/src/lib/}
	sub=${rel%%/*}
	base=$(basename "$c" .c)
	obj=""
	for o in "$NOOK_BUILDDIR/src/lib/$sub/"*"-$base.o" "$NOOK_BUILDDIR/src/lib/$sub/$base.o"; do
		[ -e "$o" ] && obj=$o && break
	done
	if [ -z "$obj" ]; then
		missing="$missing $rel"
		continue
	fi
	echo "$sub/$base $c" >> "$tmp/files"
	"$NM" "$obj" | awk -v f="$sub/$base" 'NF == 3 && $2 ~ /^[TDBRC]$/ { print "D", f, $3 } NF == 2 && $1 == "U" { print "U", f, $2 }' >> "$tmp/syms"
done
if [ "$nsrc" -gt 0 ] && [ -z "$missing" ]; then
	ok "an object file for each of the $nsrc source files of src/lib"
else
	notok "an object file for each source file of src/lib (build first; missing:$missing)"
fi

# 3. the edges: symbols ...
awk '$1 == "D" { def[$3] = $2 } $1 == "U" { use[++n] = $2 " " $3 }
     END { for (i = 1; i <= n; i++) { split(use[i], p, " "); if ((p[2] in def) && def[p[2]] != p[1]) print p[1], def[p[2]] } }' \
	"$tmp/syms" | sort -u > "$tmp/edges"
# ... and, between subsystems, headers (a header often declares the
# functions of several files of its subsystem, so within one folder only
# the symbols count)
while read -r f c; do
	sub=${f%%/*}
	sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$c" | while read -r h; do
		case "$h" in
		nook/*)
			hb=$(basename "$h" .h)
			owner=$(cd "$NOOK_SRCDIR/src/lib" && ls -d ./*/"$hb.c" 2>/dev/null | head -n1)
			if [ -n "$owner" ]; then owner=${owner#./}; owner=${owner%.c}; else owner=base/$hb; fi
			;;
		../*) owner=${h#../}; owner=${owner%.h} ;;
		*) owner=$sub/${h%.h} ;;
		esac
		[ "$owner" != "$f" ] && echo "$f $owner"
	done
done < "$tmp/files" > "$tmp/incedges"
sort -u "$tmp/incedges" -o "$tmp/incedges"
cat "$tmp/edges" "$tmp/incedges" |
	awk '{ split($1, a, "/"); split($2, b, "/"); if (a[1] != b[1]) print a[1], b[1] }' | sort -u > "$tmp/subedges"

echo "# subsystem graph (X -> what X uses):"
awk '{ d[$1] = d[$1] " " $2 } END { for (s in d) print "#   " s " ->" d[s] }' "$tmp/subedges" | sort

sc=$(cycles < "$tmp/subedges")
if [ -z "$sc" ]; then
	ok "no dependency cycle between subsystems"
else
	notok "no dependency cycle between subsystems"
	echo "$sc" | sed 's/^/#   cycle: /'
	awk 'NR == FNR { for (i = 1; i <= NF; i++) in_c[$i] = 1; next }
	     { split($1, a, "/"); split($2, b, "/"); if ((a[1] in in_c) && (b[1] in in_c) && a[1] != b[1]) print "#     " $1 " -> " $2 }' \
		- "$tmp/edges" "$tmp/incedges" <<EOF
$sc
EOF
fi

fc=$(cycles < "$tmp/edges")
if [ -z "$fc" ]; then
	ok "no dependency cycle between files"
else
	notok "no dependency cycle between files"
	echo "$fc" | sed 's/^/#   cycle: /'
fi

# include/nook holds only what is shared: each header there is included by
# files of two subsystems at least (src/cli counts as one; a header used by
# one subsystem belongs beside its code)
lonely=""
for h in "$NOOK_SRCDIR"/include/nook/*.h; do
	[ -e "$h" ] || continue
	b=$(basename "$h")
	users=$(cd "$NOOK_SRCDIR" && grep -l "\"nook/$b\"" src/lib/*/*.[ch] src/cli/*.[ch] include/nook/*.h 2>/dev/null |
		sed 's@^src/lib/\([^/]*\)/.*@\1@; s@^src/cli/.*@cli@; s@^include/nook/.*@include@' | sort -u | wc -l)
	[ "$users" -ge 2 ] || lonely="$lonely $b"
done
if [ -z "$lonely" ]; then
	ok "every header in include/nook is shared by two subsystems or more"
else
	notok "every header in include/nook is shared by two subsystems or more (move beside its code:$lonely)"
fi

echo "1..$n"
[ "$failed" = 0 ]
