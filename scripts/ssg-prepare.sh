#!/usr/bin/env bash
# Copies the packaged SCAP Security Guide content for Debian 11 into DIR and prepares it
# the way ../shared/tools/ssg-parity does, so that it applies to any Debian host: the
# Debian-11-only benchmark platform is removed, and DIR/all.xml is the benchmark with
# every Rule and Group selected. DIR/ssg-debian11-oval.xml is the OVAL document as
# packaged. Used by scripts/ssg-parity.sh and benches/ssg.sh, which must read the same
# content for their figures to mean anything.
#
# usage: scripts/ssg-prepare.sh DIR
set -euo pipefail
dir=${1:?usage: scripts/ssg-prepare.sh DIR}
src=/usr/share/xml/scap/ssg/content
[ -f $src/ssg-debian11-xccdf.xml ] || { echo "ssg content missing: apt-get install ssg-debian" >&2; exit 1; }
cp $src/ssg-debian11-{xccdf,oval,ocil,cpe-dictionary,cpe-oval}.xml "$dir"/
sed -i 's#<xccdf-1.2:platform idref="cpe:/o:debian:debian_linux:11"/>##' "$dir"/ssg-debian11-xccdf.xml
sed -E 's/(<xccdf-1.2:(Rule|Group) [^>]*)selected="false"/\1selected="true"/' \
  "$dir"/ssg-debian11-xccdf.xml >"$dir"/all.xml
