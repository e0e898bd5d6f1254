#!/usr/bin/env bash
# The main job on built-in data, with short time limits: train a melody model on music21's folk
# tunes, interpolate between two of them, sample new melodies; train an image model on
# scikit-learn's digits and generate images. Outputs go to ${1:-vaekit-demo}/.
set -euo pipefail
out=${1:-vaekit-demo}
mkdir -p "$out"

echo "== melodies: train mel_2bar on folk tunes (the first build of the folk cache parses the corpus once)"
vaekit train --modality midi --set data.limit_tunes=3000 --time-limit 3m --out "$out/melody" --force --no-progress
vaekit datasets export folk --n 2 --set data.limit_tunes=3000 --out "$out/tunes"
vaekit interpolate "$out/melody" "$out/tunes/folk_000.mid" "$out/tunes/folk_001.mid" --steps 8 \
    --out "$out/interpolation.mid" --png "$out/interpolation.png"
vaekit generate "$out/melody" -n 8 --temperature 0.5 --out "$out/melodies" --png "$out/melodies.png"
vaekit evaluate "$out/melody" --max-items 512 -k 0

echo "== images: train conv on digits"
vaekit train --modality image --data digits --time-limit 1m --out "$out/digits" --force --no-progress
vaekit generate "$out/digits" -n 64 --out "$out/images"
vaekit plot curves "$out/digits" --out "$out/digits-curves.png"

echo
echo "outputs are in $out/:"
echo "  melody model           $out/melody (vaekit info $out/melody)"
echo "  interpolation          $out/interpolation.mid and $out/interpolation.png"
echo "  sampled melodies       $out/melodies/ and $out/melodies.png"
echo "  digit model and images $out/digits and $out/images/"
