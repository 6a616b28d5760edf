#!/usr/bin/env bash
# Camera metadata as the card carries it, card by card from the fixtures: a Sony XDROOT card
# whose M01.XML names ISO, white balance, shutter angle, ND, T-stop and focal length (and one
# clip whose XML names none), a Blackmagic card whose .sidecar names ISO and white balance, a
# card of a MOV tagged by ffmpeg -metadata (as QuickTime keys), and an ARRI ProRes card that
# carries none. Each card is offloaded from the command line, a worker probes its clips, and
# the settings are read back through GET /clips/{id}, the day's ALE and the card's offload
# report (pdftotext): what a format carries is there, what it does not is absent.
set -euo pipefail
. "$(dirname "$0")/../cli/lib.sh"
bin=$1
cli_need_tools "camera metadata in the report" pdftotext
cli_need_root "camera metadata of cards secured on two volumes"
cli_journey journey_cammeta
on_fail() { tail -n 5 "$tmp/serve.log" "$tmp/worker.log" >&2 2>/dev/null || true; cat "$tmp"/day-*.ale >&2 2>/dev/null || true; }
bash "$top/tests/fixtures/make-cards.sh" "$tmp/cards" >/dev/null 2>&1
# A generic card of one MOV whose settings are QuickTime metadata keys (what ffmpeg writes with
# -movflags use_metadata_tags), among them a look name.
mkdir -p "$tmp/cards/G007"
ffmpeg -nostdin -hide_banner -loglevel error -y -f lavfi -i "testsrc2=s=160x90:r=25:d=1" \
	-c:v prores_ks -profile:v 0 -movflags use_metadata_tags \
	-metadata com.apple.quicktime.make=ARRI -metadata com.apple.quicktime.model="ALEXA Mini LF" \
	-metadata org.smpte.rdd18.camera.isosensitivity=1280 \
	-metadata org.smpte.rdd18.camera.whitebalance=3200 \
	-metadata org.smpte.rdd18.camera.shutterspeed_angle=180 \
	-metadata nd_filter=1.2 -metadata focal_length=35mm -metadata t_stop=T2.8 \
	-metadata look_name="ARRI 709 Night" "$tmp/cards/G007/G007_take1.mov"
cli_serve "$tmp/serve" --data "$tmp/data"
admin=$("$bin" token create --role admin --name cart | tail -n 1)
export SETPOST_TOKEN=$admin
api() { curl -s -H "Authorization: Bearer $admin" "$url$1"; }

# Clips are probed once secured: two copies on distinct volumes.
cli_mount "$tmp/raid" 96m || fail "mount raid"
cli_mount "$tmp/shuttle" 96m || fail "mount shuttle"
for card in sony bmd G007 arri; do
	"$bin" offload "$tmp/cards/$card" --to "$tmp/raid" --to "$tmp/shuttle" --register "$url" \
		--production "Night Feature" --day 2026-11-26 --no-progress >"$tmp/off-$card.out" 2>&1 ||
		fail "offload $card: $(cat "$tmp/off-$card.out")"
done
cli_worker "$tmp/worker" --slots 2 --data "$tmp/data"
cli_idle
clip() { api "/api/v1/clips?limit=200" | jq -r --arg n "$1" '.items[] | select(.name == $n) | .id'; }
meta() {
	local id
	id=$(clip "$1")
	[[ $id =~ ^[0-9]+$ ]] || fail "no clip $1: $(api "/api/v1/clips?limit=200" | jq -c '[.items[].name]')"
	api "/api/v1/clips/$id" | jq -c '.camera_metadata // {}'
}

# --- Sony: the M01.XML's RDD 18 items, Device and Lens ---------------------------------------------
m=$(meta A004C002_250103J4)
want='{"camera_make":"Sony","camera_model":"MPC-3610","camera_serial":"0041207","lens":"Cooke S4/i 50mm","iso":"500","white_balance":"4300K","shutter":"172.8deg","nd":"0.6","t_stop":"T2.3","focal_length":"50.00mm"}'
jq -e --argjson w "$want" '. == $w' <<<"$m" >/dev/null || fail "Sony A004C002: $m, want $want"
ok "Sony M01.XML: ISO, white balance, shutter angle, ND, T-stop (not the F-number), focal length, body and lens; no look (the XML names none)"
m=$(meta A004C003_250103K7)
jq -e 'del(.camera_make, .camera_model, .camera_serial, .lens) == {}' <<<"$m" >/dev/null ||
	fail "A004C003's XML names no setting, yet: $m"
ok "Sony clip whose M01.XML names no setting: none shown, none guessed"

# --- Blackmagic RAW: the .sidecar's iso and white_balance_kelvin -----------------------------------
m=$(meta A003_01011230_C001)
jq -e '.iso == "800" and .white_balance == "5600" and (has("shutter") or has("t_stop") or has("look") | not)' \
	<<<"$m" >/dev/null || fail "BRAW A003_01011230_C001: $m"
m=$(meta A003_01011231_C002)
jq -e 'has("iso") | not' <<<"$m" >/dev/null || fail "BRAW without a sidecar has an ISO: $m"
ok "Blackmagic .sidecar: ISO 800 and 5600 K; the clip without a sidecar has none"

# --- a MOV's QuickTime metadata keys ----------------------------------------------------------------
m=$(meta G007_take1)
want='{"camera_make":"ARRI","camera_model":"ALEXA Mini LF","iso":"1280","white_balance":"3200","shutter":"180","nd":"1.2","focal_length":"35mm","t_stop":"T2.8","look":"ARRI 709 Night"}'
jq -e --argjson w "$want" '. == $w' <<<"$m" >/dev/null || fail "MOV tags: $m, want $want"
ok "MOV tagged by ffmpeg -metadata (rdd18 and plain keys): all seven settings and the look name"

# --- ARRI ProRes without tags: nothing -------------------------------------------------------------
m=$(meta A001C001_250101_R1AB)
[[ $m == '{}' ]] || fail "ARRI ProRes without tags: $m"
ok "ARRI ProRes whose MOV carries no camera tags: camera_metadata is empty"

# --- the ALE: Avid's column names, the values as the card said them --------------------------------
# The day was shot at 25 (Sony, the tagged MOV) and 23.976 fps (ARRI, Blackmagic ProRes): one
# ALE per rate. A camera column is there when a row of the file carries that setting.
day=$(api "/api/v1/days" | jq -r '.items[0].id')
for rate in 25 23.976; do
	code=$(curl -s -H "Authorization: Bearer $admin" -o "$tmp/day-$rate.ale" -w '%{http_code}' \
		"$url/api/v1/days/$day/ale?rate=$rate")
	[ "$code" = 200 ] || fail "ALE at $rate: $code $(cat "$tmp/day-$rate.ale")"
done
python3 - "$tmp/day-25.ale" "$tmp/day-23.976.ale" <<'PY' || fail "ALE: $(sed -n '/^Column/,/^Data/p' "$tmp/day-25.ale" | tr -d '\r')"
import sys
rows, columns = {}, []
for path in sys.argv[1:]:
    lines = open(path, newline='').read().replace('\r\n', '\n').split('\n')
    cols = lines[lines.index('Column') + 1].split('\t')
    columns.append(cols)
    for line in lines[lines.index('Data') + 1:]:
        if line:
            cells = line.split('\t')
            assert len(cells) == len(cols), (path, cells)
            rows[cells[0]] = dict(zip(cols, cells))
for c in ["ISO", "White Balance", "Shutter", "ND Filter", "Focal Length", "T-Stop", "Look Name"]:
    assert c in columns[0], (c, columns[0])
s = rows['A004C002_250103J4']
assert (s['ISO'], s['White Balance'], s['Shutter'], s['ND Filter'], s['Focal Length'], s['T-Stop'],
        s['Look Name']) == ('500', '4300K', '172.8deg', '0.6', '50.00mm', 'T2.3', ''), s
assert rows['A004C003_250103K7']['ISO'] == '', rows['A004C003_250103K7']
assert rows['G007_take1']['Look Name'] == 'ARRI 709 Night', rows['G007_take1']
a = rows['A001C001_250101_R1AB']
assert all(a.get(c, '') == '' for c in ["ISO", "Shutter", "T-Stop", "Look Name"]), a
PY
ok "day ALEs: ISO, White Balance, Shutter, ND Filter, Focal Length, T-Stop, Look Name; empty where the card is silent"

# --- the offload report's clip lines ---------------------------------------------------------------
card=$(api "/api/v1/cards?limit=50" | jq -r '.items[] | select(.label == "sony" or (.label | test("XDROOT|A004"))) | .id' | head -n 1)
[[ $card =~ ^[0-9]+$ ]] || fail "sony card: $(api "/api/v1/cards?limit=50" | jq -c '[.items[] | [.id, .label]]')"
code=$(curl -s -H "Authorization: Bearer $admin" -o "$tmp/sony.pdf" -w '%{http_code}' "$url/api/v1/cards/$card/report?format=pdf")
[ "$code" = 200 ] || fail "card report: $code $(head -c 300 "$tmp/sony.pdf")"
pdftotext -raw "$tmp/sony.pdf" - | tr -s ' \n' ' ' >"$tmp/sony.txt"
for want in "ISO 500" "4300K" "172.8deg" "ND 0.6" "50.00mm" "T2.3"; do
	grep -qF "$want" "$tmp/sony.txt" || fail "the Sony offload report lacks '$want': $(head -c 1500 "$tmp/sony.txt")"
done
! grep -qF "TT2.3" "$tmp/sony.txt" || fail "T-stop written twice"
ok "the card's offload report (PDF) lists each clip's ISO, white balance, shutter, ND, focal length and T-stop"

# --- the report written beside each copy at the end of the offload: the sidecars' settings ----------
# (the file's own tags come with the probe, after it: the MOV's are in the API's report only)
pdf=$(ls "$tmp/raid/sony/"sony_offload_*Z.pdf | head -n 1)
[ -f "$pdf" ] || fail "no offload report on the RAID: $(ls "$tmp/raid/sony")"
pdftotext -raw "$pdf" - | tr -s ' \n' ' ' >"$tmp/written.txt"
for want in "Sony MPC-3610" "#0041207" "Cooke S4/i 50mm" "ISO 500" "4300K" "172.8deg" "ND 0.6" "T2.3"; do
	grep -qF "$want" "$tmp/written.txt" || fail "the report written at the offload lacks '$want': $(head -c 1500 "$tmp/written.txt")"
done
pdf=$(ls "$tmp/raid/bmd/"bmd_offload_*Z.pdf | head -n 1)
pdftotext -raw "$pdf" - | tr -s ' \n' ' ' | grep -qF "ISO 800, 5600" || fail "the BRAW sidecar in the written report"
ok "the offload report written beside the copies has what the sidecars carry (Sony M01.XML, BRAW .sidecar)"
