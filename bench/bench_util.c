typedef int bench_placeholder;
