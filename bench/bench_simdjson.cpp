// simdjson's DOM parser for bench_json.c: the document is copied once into
// simdjson's padded buffer, then each call parses it into the parser's
// reusable DOM (the fair counterpart of our reader into a reset arena).
#include <simdjson.h>

#include <cstddef>

namespace {
simdjson::dom::parser *g_parser = nullptr;
simdjson::padded_string *g_doc = nullptr;
} // namespace

extern "C" int bench_simdjson_prepare(const char *doc, size_t len);
extern "C" int bench_simdjson_parse(void);
extern "C" void bench_simdjson_release(void);

extern "C" int bench_simdjson_prepare(const char *doc, size_t len)
{
    bench_simdjson_release();
    g_parser = new simdjson::dom::parser();
    g_doc = new simdjson::padded_string(doc, len);
    return bench_simdjson_parse();
}

extern "C" int bench_simdjson_parse(void)
{
    simdjson::dom::element root;
    auto err = g_parser->parse(*g_doc).get(root);
    return err ? -1 : (root.is_array() ? 1 : 0);
}

extern "C" void bench_simdjson_release(void)
{
    delete g_parser;
    delete g_doc;
    g_parser = nullptr;
    g_doc = nullptr;
}
