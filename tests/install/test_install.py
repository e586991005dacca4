#!/usr/bin/env python3
"""test_install.py BUILDDIR CONSUMER_DIR PREFIX LIBDIR INCLUDEDIR BINDIR MANDIR SANITIZE TOOLS

`meson install --destdir` of the build into a temporary folder, then,
against what was installed only:
  - the files a user expects: headers, libsioc.so (SONAME) and .a, sioc.pc,
    and with the tools the sioc binary and its man page;
  - the consumer project (CONSUMER_DIR: C and C++) configured with meson,
    finding sioc through the installed sioc.pc, built and run;
  - the C consumer compiled by hand with `pkg-config --cflags --libs` and
    linked statically with `pkg-config --static`, and run.
SANITIZE is the build's b_sanitize: an instrumented library needs
instrumented programs. Exits 0 or 1; every command has a time limit.
"""
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

TIMEOUT = 300
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def run(argv, env=None, cwd=None):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT, env=env,
                           cwd=cwd)
    except subprocess.TimeoutExpired:
        return 124, "", f"timed out: {argv}"
    return p.returncode, p.stdout, p.stderr


def show(out, err):
    for line in (out + err).splitlines()[-40:]:
        print("     | " + line)


def main():
    (builddir, consumer, prefix, libdir, includedir, bindir, mandir, sanitize,
     tools) = sys.argv[1:10]
    libdir = libdir if os.path.isabs(libdir) else os.path.join(prefix, libdir)
    includedir = includedir if os.path.isabs(includedir) else os.path.join(prefix, includedir)
    bindir = bindir if os.path.isabs(bindir) else os.path.join(prefix, bindir)
    mandir = mandir if os.path.isabs(mandir) else os.path.join(prefix, mandir)
    san = [] if sanitize in ("", "none") else [f"-fsanitize={sanitize}"]

    tmp = tempfile.mkdtemp(prefix="sioc-install-")
    try:
        dest = os.path.join(tmp, "root")
        rc, out, err = run(["meson", "install", "-C", builddir, "--destdir", dest,
                            "--no-rebuild", "--quiet"])
        if not check(rc == 0, "meson install --destdir"):
            show(out, err)
            return 1

        def root(path):
            return dest + path

        for h in ("sioc.h", "base.h", "version.h", "eio.h", "sio.h", "json.h",
                  "sio_msgpack.h", "eio_session.h", "sio_session.h"):
            check(os.path.isfile(root(os.path.join(includedir, "sioc", h))),
                  f"header sioc/{h} installed")
        check(os.path.isfile(root(os.path.join(libdir, "libsioc.a"))), "libsioc.a installed")
        check(os.path.isfile(root(os.path.join(libdir, "pkgconfig", "sioc.pc"))),
              "sioc.pc installed")
        so = root(os.path.join(libdir, "libsioc.so"))
        if check(os.path.islink(so), "libsioc.so development link installed"):
            rc, out, _ = run(["readelf", "-d", so])
            soname = [ln for ln in out.splitlines() if "(SONAME)" in ln]
            check(len(soname) == 1 and "libsioc.so." in soname[0],
                  f"SONAME versioned: {soname[0].split()[-1] if soname else 'none'}")
            target = os.path.basename(os.path.realpath(so))
            check(os.path.isfile(root(os.path.join(libdir, target))), f"{target} installed")
        if tools == "true":
            check(os.access(root(os.path.join(bindir, "sioc")), os.X_OK), "sioc installed")
            check(os.path.isfile(root(os.path.join(mandir, "man1", "sioc.1"))),
                  "man page sioc.1 installed")

        env = dict(os.environ)
        env["PKG_CONFIG_PATH"] = root(os.path.join(libdir, "pkgconfig"))
        # The .pc file names the real prefix; pkg-config is told where it is now.
        pc = ["pkg-config", f"--define-variable=prefix={root(prefix)}"]
        env["LD_LIBRARY_PATH"] = root(libdir)
        # meson's pkg-config lookup honours the same override through this file.
        native = os.path.join(tmp, "native.ini")
        with open(native, "w", encoding="utf-8") as f:
            f.write("[binaries]\npkgconfig = ['pkg-config', "
                    f"'--define-variable=prefix={root(prefix)}']\n")

        # 1. The consumer project, configured by meson.
        build = os.path.join(tmp, "consumer-build")
        opts = [f"-Db_sanitize={sanitize}", "-Db_lundef=false"] if san else []
        rc, out, err = run(["meson", "setup", "--native-file", native, build, consumer] + opts,
                           env=env)
        if check(rc == 0, "consumer project: meson setup finds sioc through sioc.pc"):
            rc, out, err = run(["ninja", "-C", build], env=env)
            if check(rc == 0, "consumer project: builds (C11 and C++11, warnings as errors)"):
                for exe in ("consumer_c", "consumer_cpp"):
                    path = os.path.join(build, exe)
                    rc, out, err = run([path], env=env)
                    check(rc == 0 and out.startswith("ok "), f"{exe} runs: {out.strip()}")
                    if rc != 0:
                        show(out, err)
                    rc, out, _ = run(["ldd", path], env=env)
                    line = [ln for ln in out.splitlines() if "libsioc.so" in ln]
                    check(len(line) == 1 and dest in line[0],
                          f"{exe} loads the installed libsioc")
            else:
                show(out, err)
        else:
            show(out, err)

        # 2. By hand with pkg-config: shared, then static.
        cc = shutil.which(os.environ.get("CC", "cc")) or "cc"
        rc, cflags, err = run(pc + ["--cflags", "sioc"], env=env)
        rc2, libs, err2 = run(pc + ["--libs", "sioc"], env=env)
        rc3, static_libs, err3 = run(pc + ["--static", "--libs", "sioc"], env=env)
        if check(rc == 0 and rc2 == 0 and rc3 == 0, "pkg-config --cflags/--libs/--static sioc"):
            src = os.path.join(consumer, "consumer.c")
            shared_exe = os.path.join(tmp, "consumer_shared")
            static_exe = os.path.join(tmp, "consumer_static")
            rc, out, err = run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror"] + san +
                               shlex.split(cflags) + [src, "-o", shared_exe] +
                               shlex.split(libs), env=env)
            if check(rc == 0, "cc $(pkg-config --cflags --libs sioc)"):
                rc, out, err = run([shared_exe], env=env)
                check(rc == 0 and out.startswith("ok "), "shared consumer runs")
            else:
                show(out, err)
            static = [("-l:libsioc.a" if a == "-lsioc" else a) for a in shlex.split(static_libs)]
            rc, out, err = run([cc, "-std=c11", "-Wall", "-Wextra", "-Werror"] + san +
                               shlex.split(cflags) + [src, "-o", static_exe] + static, env=env)
            if check(rc == 0, "static link with pkg-config --static"):
                bare = dict(env)
                bare.pop("LD_LIBRARY_PATH", None)
                rc, out, err = run([static_exe], env=bare)
                check(rc == 0 and out.startswith("ok "), "static consumer runs without libsioc.so")
                rc, out, _ = run(["ldd", static_exe], env=bare)
                check("libsioc" not in out, "static consumer does not load libsioc.so")
            else:
                show(out, err)
        else:
            show(cflags + libs, err + err2 + err3)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    if failures:
        print(f"{len(failures)} failure(s)")
        return 1
    print("install ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
