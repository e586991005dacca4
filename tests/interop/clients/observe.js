// What the interop peer clients share: the observation protocol the test
// drivers read. One JSON line per observation on stdout ({"obs":NAME,...});
// {"obs":"done"} and exit 0 once every needed observation was seen, or
// {"obs":"timeout","missing":[...]} and exit 1 at the deadline.
//
// const obs = require("./observe")(deadlineMs, closeAll);
// obs.needed = [...]; obs.out({...}); obs.mark("name"); obs.finish(code);
"use strict";

module.exports = function observer(deadlineMs, closeAll) {
  const seen = new Set();
  let finished = false;
  const obs = { needed: [] };

  obs.out = (o) => process.stdout.write(JSON.stringify(o) + "\n");

  obs.finish = (code) => {
    if (finished) return;
    finished = true;
    try { closeAll(); } catch (e) { /* closed already */ }
    // Let the close packets leave, then end whatever is still pending.
    setTimeout(() => process.exit(code), 200);
  };

  obs.mark = (key) => {
    seen.add(key);
    if (obs.needed.length && obs.needed.every((k) => seen.has(k))) {
      obs.out({ obs: "done" });
      obs.finish(0);
    }
  };

  setTimeout(() => {
    obs.out({ obs: "timeout", missing: obs.needed.filter((k) => !seen.has(k)) });
    obs.finish(1);
  }, deadlineMs || 20000);

  return obs;
};
