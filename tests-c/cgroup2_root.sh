# Sourced by the shell drivers (check_preload.sh): cgroup2_root prints
# where cgroup2 is mounted, by the rule every suite of this project uses
# (docs/probes.md, and tests-c/cgroup2_root.h for C): the mount point,
# field 5, of the first line of /proc/self/mountinfo whose file-system
# type (the first field after " - ") is cgroup2, with its octal escapes
# ("\040" for a space) undone. Prints nothing and fails when there is none.
cgroup2_root() {
    awk '
        function unescape(s,    out, i, d) {
            out = ""
            while ((i = index(s, "\\")) > 0) {
                d = substr(s, i + 1, 3)
                if (d ~ /^[0-3][0-7][0-7]$/) {
                    out = out substr(s, 1, i - 1) \
                          sprintf("%c", substr(d, 1, 1) * 64 + substr(d, 2, 1) * 8 + substr(d, 3, 1))
                    s = substr(s, i + 4)
                } else {
                    out = out substr(s, 1, i)
                    s = substr(s, i + 1)
                }
            }
            return out s
        }
        {
            for (f = 7; f < NF; f++)
                if ($f == "-")
                    break
            if ($f == "-" && $(f + 1) == "cgroup2") { print unescape($5); found = 1; exit }
        }
        END { exit !found }' /proc/self/mountinfo
}
