//! The same rpath setup as schedstat-db's build script, for the binary.
include!("../db/build.rs");
