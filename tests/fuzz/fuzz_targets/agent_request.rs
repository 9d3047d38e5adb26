#![no_main]

// Decodes and checks a request line; never runs a module.
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = modules::agent::decode_request(data);
});
