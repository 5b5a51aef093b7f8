//! Compiles the libxmlsec1 shim (csrc/verify.c) with the flags pkg-config gives for the
//! OpenSSL backend: they fix the layout of the structures the shim reads, which is why the
//! shim is C rather than hand-written Rust declarations.

fn main() {
    println!("cargo:rerun-if-changed=csrc/verify.c");
    let lib = match pkg_config::Config::new()
        .atleast_version("1.2.30")
        // Linked below, after the shim that needs them (the linker drops an unused library).
        .cargo_metadata(false)
        .probe("xmlsec1-openssl")
    {
        Ok(lib) => lib,
        Err(e) => panic!(
            "libxmlsec1 (OpenSSL backend) not found: install libxmlsec1-dev, libxml2-dev and \
             pkg-config (Debian: apt-get install libxmlsec1-dev libxml2-dev pkg-config): {e}"
        ),
    };
    let mut build = cc::Build::new();
    build.file("csrc/verify.c").warnings(true);
    for path in &lib.include_paths {
        build.include(path);
    }
    for (name, value) in &lib.defines {
        build.define(name, value.as_deref());
    }
    build.compile("oxid_xmldsig_shim");
    for path in &lib.link_paths {
        println!("cargo:rustc-link-search=native={}", path.display());
    }
    for name in &lib.libs {
        println!("cargo:rustc-link-lib={name}");
    }
}
