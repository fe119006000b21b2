# The program x kernel table of verified instructions, from "ktable<TAB>kernel<TAB>hook<TAB>program
# <TAB>insns|refused: reason" rows (tests/kernels/guest.sh, verify_progs --table with the prefix):
#   awk -F'\t' -v lim=500000 -f tests/kernels/table.awk ROWS...
function commas(n,   s) { s = ""; while (n >= 1000) { s = sprintf(",%03d", n % 1000) s; n = int(n / 1000) }; return n s }
$1 == "ktable" {
	if (!($2 in kcol)) { kcol[$2] = ++nc; kn[nc] = $2 }
	row = $3 "/" $4
	if (!(row in rown)) { rown[row] = ++nr; rows[nr] = row }
	v = $5
	if (v ~ /^refused/) { nref++; sub(/^refused: */, "", v); reasons[nref] = $2 "  " row ": " v; v = "REFUSED" }
	else if (v + 0 > lim + 0) v = commas(v + 0) " OVER"
	else v = commas(v + 0)
	cell[row, $2] = v
}
END {
	if (!nr) { print "(no kernel printed a table)"; exit }
	w = 22
	printf "%-" w "s", "program"
	for (c = 1; c <= nc; c++) printf "  %22s", kn[c]
	printf "\n"
	for (r = 1; r <= nr; r++) {
		printf "%-" w "s", rows[r]
		for (c = 1; c <= nc; c++) printf "  %22s", ((rows[r], kn[c]) in cell) ? cell[rows[r], kn[c]] : "-"
		printf "\n"
	}
	for (i = 1; i <= nref; i++) print "  refused: " reasons[i]
}
