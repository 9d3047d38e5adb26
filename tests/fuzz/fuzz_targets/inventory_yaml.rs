#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| dpctl::fuzz::inventory_yaml(data));
