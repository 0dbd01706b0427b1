# plot.gp: doorbench's latency CSV as a picture, median round trip by
# payload size, one line per method, unpinned and pinned side by side.
#
#   gnuplot -e "csv='latency.csv'; out='latency.png'" bench/plot.gp
#
# The x axis is log2(payload + 1), so 0 B has a place; the y axis is
# logarithmic, since the methods span four orders of magnitude.  Rows
# without a median (n/a, failed) are left out.

if (!exists("csv") || !exists("out")) {
	print "usage: gnuplot -e \"csv='FILE.csv'; out='FILE.png'\" plot.gp"
	exit status 2
}

set datafile separator ","
set terminal pngcairo size 1500,620 font "sans,10"
set output out

# The methods, in the CSV's order (the first column of each row).
methods = system("tail -n +2 '" . csv . "' | cut -d, -f1 | awk '!seen[$0]++' | tr '\\n' ' '")

# Twelve methods need twelve colours; gnuplot's default cycle has eight.
colours = "#6a3d9a #1b9e77 #1f78b4 #e6ab02 #a6761d #66a61e #e31a1c #000000 #e7298a #17becf #fb9a99 #7f7f7f"
do for [i = 1:12] {
	set linetype i linecolor rgb word(colours, i) pointtype (i % 13) + 1
}

set logscale y
set grid ytics mytics xtics
set xtics ("0" 0, "64 B" 6, "4 KiB" 12, "64 KiB" 16, "1 MiB" 20)
set xrange [-0.5:20.5]
set xlabel "payload each way"
set ylabel "median round trip (µs, log scale)"
set key outside right top vertical

# The rows of method m at pinning p that have a median, alone, so that
# gnuplot joins exactly their points.
rows(m, p) = sprintf("< awk -F, -v m='%s' -v p=%d 'NR > 1 && $1 == m && $3 == p && $5 != \"\"' '%s'", m, p, csv)
x = 'log(column(2) + 1) / log(2)'
set yrange [0.05:*]

set multiplot layout 1,2 title "doorbench: median round-trip latency by payload (lower is better)"
set title "unpinned (free to use both CPUs)"
plot for [m in methods] rows(m, 0) using (@x):5 with linespoints \
	linewidth (m eq "door" ? 3 : 1.5) title m
set title "pinned (every process of the method on CPU 0)"
plot for [m in methods] rows(m, 1) using (@x):5 with linespoints \
	linewidth (m eq "door" ? 3 : 1.5) title m
unset multiplot
