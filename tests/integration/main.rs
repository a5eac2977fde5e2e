//! The one integration test binary: CLI runs, conformance data, formatting
//! torture cases, hostile input and generated manifests.

#![allow(clippy::unwrap_used)]
mod action;
mod authoring;
mod authoring_torture;
mod bad_input;
mod cli;
mod conformance;
mod dc_bc;
mod determinism;
mod diagnostics;
mod fast_yaml;
mod fuzz_regressions;
mod imagestreamimage;
mod import;
mod import_bearer;
mod limits;
mod lookup;
mod offline;
mod precommit;
mod property;
mod registry_harness;
mod sarif;
mod support;
mod torture;
mod writes;
