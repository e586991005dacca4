// placeholder
extern "C" int bench_simdjson_placeholder(void);
int bench_simdjson_placeholder(void) { return 0; }
