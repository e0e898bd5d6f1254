#!/usr/bin/env bash
# The main job on built-in data, with short time limits: the models the plugins ship interpolate
# between two pop melodies, sample new melodies and generate digits; then a small melody model
# trains for a minute on POP909's melodies, to show training. Outputs go to ${1:-vaekit-demo}/.
set -euo pipefail
out=${1:-vaekit-demo}
mkdir -p "$out"

echo "== the models the plugins ship"
vaekit models

echo "== melodies: the shipped mel_2bar interpolates between two held-out pop melodies and samples new ones"
vaekit datasets export pop --n 2 --out "$out/tunes"
vaekit interpolate mel_2bar "$out/tunes/pop_000.mid" "$out/tunes/pop_001.mid" --steps 8 \
    --out "$out/interpolation.mid" --png "$out/interpolation.png"
vaekit generate mel_2bar -n 8 --temperature 0.5 --out "$out/melodies" --png "$out/melodies.png"
vaekit transform mel_2bar "$out/tunes/pop_000.mid" --attribute density --amount 1 --out "$out/denser.mid"

echo "== images: the shipped conv generates 64 digits; conv2d draws its 2-D latent"
vaekit generate conv -n 64 --out "$out/images"
vaekit plot manifold conv2d --out "$out/manifold.png"

echo "== training: a small melody model, one minute on POP909's melodies"
vaekit train --modality midi --data pop --time-limit 1m --out "$out/melody" --force --no-progress
vaekit evaluate "$out/melody" --max-items 512 -k 0

echo
echo "outputs are in $out/:"
echo "  interpolation (shipped mel_2bar)  $out/interpolation.mid and $out/interpolation.png"
echo "  sampled melodies                  $out/melodies/ and $out/melodies.png"
echo "  a denser melody                   $out/denser.mid"
echo "  generated digits (shipped conv)   $out/images/grid.png"
echo "  the 2-D latent (shipped conv2d)   $out/manifold.png"
echo "  the melody model trained here     $out/melody (vaekit info $out/melody)"
