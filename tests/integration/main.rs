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
mod diagnostics;
mod fuzz_regressions;
mod imagestreamimage;
mod import;
mod import_bearer;
mod lookup;
mod offline;
mod precommit;
mod property;
mod registry_harness;
mod sarif;
mod support;
mod torture;
