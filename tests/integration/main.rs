//! The one integration test binary: CLI runs, conformance data, formatting
//! torture cases, hostile input and generated manifests.

mod bad_input;
mod cli;
mod conformance;
mod property;
mod support;
mod torture;
