"""Converts api/openapi.yaml to a C++ source holding it as compact JSON.

Run by api/CMakeLists.txt at build time with Debian's python3 and python3-yaml:
    python3 yaml_to_json.py INPUT.yaml OUTPUT.cpp
Fails (exit 1, naming the line) on YAML that does not parse.
"""
import json
import sys

import yaml


def main() -> int:
    source, output = sys.argv[1], sys.argv[2]
    with open(source, encoding="utf-8") as f:
        try:
            document = yaml.safe_load(f)
        except yaml.YAMLError as e:
            print(f"{source}: {e}", file=sys.stderr)
            return 1
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str)
    if ')s2s_json"' in text:
        print(f"{source}: contains the raw-string delimiter", file=sys.stderr)
        return 1
    body = (
        "// Generated from api/openapi.yaml by cmake/yaml_to_json.py: do not edit.\n"
        '#include "api/openapi.h"\n\n'
        "namespace s2s::api {\n\n"
        f'std::string_view openapi_json() noexcept {{ return R"s2s_json({text})s2s_json"; }}\n\n'
        "}  // namespace s2s::api\n"
    )
    try:
        with open(output, encoding="utf-8") as f:
            if f.read() == body:
                return 0
    except FileNotFoundError:
        pass
    with open(output, "w", encoding="utf-8") as f:
        f.write(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
