# SPDX-License-Identifier: ISC
# plot.gp: one PNG, two panels: delivered messages/s and p99 latency of sotto-relay and Redis against one parameter.
# gnuplot -e "data='F'; out='X.png'; xlab='members per room'; title='...'" plot.gp
# Columns of F: x, sotto delivered/s med min max, redis delivered/s med min max,
#               sotto p99 us med min max, redis p99 us med min max.
set terminal pngcairo size 1100,460 font "sans,10"
set output out
set multiplot layout 1,2 title title
set logscale x 2
set logscale y 10
set grid
set key top left
set xlabel xlab
set format y "%.1s%c"
set ylabel "delivered messages/s"
plot data using 1:2:3:4 with yerrorlines lw 2 pt 7 title "sotto-relay", \
     data using 1:5:6:7 with yerrorlines lw 2 pt 5 title "redis pub/sub"
set ylabel "p99 latency (ms)"
set format y "%g"
set key top left
set ytics (0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000, 3000)
plot data using 1:($8/1000):($9/1000):($10/1000) with yerrorlines lw 2 pt 7 title "sotto-relay", \
     data using 1:($11/1000):($12/1000):($13/1000) with yerrorlines lw 2 pt 5 title "redis pub/sub"
unset multiplot
