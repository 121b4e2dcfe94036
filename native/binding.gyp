# The kvm accelerator's native addon: system calls only (see kvm_shim.c).
# Built by scripts/setup.mjs with the node-gyp npm bundles, against the machine's Node headers.
{
  "targets": [
    {
      "target_name": "kvm_shim",
      "sources": ["kvm_shim.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror=implicit-function-declaration", "-O2"],
      "defines": ["NAPI_DISABLE_CPP_EXCEPTIONS"]
    }
  ]
}
