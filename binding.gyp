{
  "targets": [
    {
      "target_name": "shared_file",
      "sources": ["native/shared-file.c"],
      "cflags": ["-Wall", "-Wextra"]
    }
  ]
}
