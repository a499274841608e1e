#!/bin/sh
# nginx style checks on the C sources: 80 columns, no tabs, no // comments,
# no trailing spaces.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

files=$(ls ngx_s3_module/*.c ngx_s3_module/*.h 2>/dev/null)
bad=0

for f in $files; do
    if awk 'length($0) > 80 { printf "%s:%d: longer than 80 columns\n",
                                     FILENAME, FNR; bad = 1 }
            /\t/ { printf "%s:%d: tab\n", FILENAME, FNR; bad = 1 }
            /[ ]+$/ { printf "%s:%d: trailing space\n", FILENAME, FNR;
                      bad = 1 }
            /^[^"]*\/\// { printf "%s:%d: // comment\n", FILENAME, FNR;
                           bad = 1 }
            END { exit bad }' "$f"
    then :; else bad=1; fi
done

if [ $bad = 0 ]; then
    echo "style: ok ($(echo $files | wc -w) files)"
fi
exit $bad
