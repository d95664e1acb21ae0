/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fixed P-256 keys for the package fuzzer and its seed generator, so that
 * the fuzzer can open what the generator wrote and reach block decryption.
 * Test keys: public, worthless, never used for anything else.
 */
#ifndef CDL_TESTS_FUZZ_KEYS_H
#define CDL_TESTS_FUZZ_KEYS_H

static const char fuzz_device_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgPzYrODCc19VuTc1s\n"
    "IWXUc0q/2eOXMqXIJAtaIna2FPOhRANCAAQmmM9pM/sEDw+m87RKiadiwpszNya/\n"
    "5SNYNUJ4sWStuzM6VMhkAfZmkYh5YARtWtLSZHtdh04EbQVKW3lYW4wJ\n"
    "-----END PRIVATE KEY-----\n";

static const char fuzz_provider_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQguL3aOCcFDpPZzTLY\n"
    "7BW5s51Z7A0QdU7kTf0EAin7MIKhRANCAAS5N6lCE6ZMz1wUccHpmbkr1i63VhYb\n"
    "RsoWKAPpPupxg15cGcsbr6mwMuPL6Rbrs/OliimXcnb8hrYzX49jl9Fd\n"
    "-----END PRIVATE KEY-----\n";

/*
 * The first input byte picks what the harness does with the rest: 0 a
 * package as is; 1 a package re-signed with the provider key (reaches the
 * field parser with any header); 2 a header only, completed with blocks,
 * sealed to the device and signed (reaches unwrap and block reads with any
 * header, and keeps the input small so mutations hit the header).
 */
enum { FUZZ_MODE_RAW = 0, FUZZ_MODE_RESIGN = 1, FUZZ_MODE_RESEAL = 2, FUZZ_MODES = 3 };

#endif /* CDL_TESTS_FUZZ_KEYS_H */
