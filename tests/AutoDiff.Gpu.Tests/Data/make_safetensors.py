"""Writes the safetensors file that SafeTensorsTests reads, from the format's specification alone.

Python's standard library only: an 8-byte little-endian header length, the JSON header (padded with spaces to a
multiple of 8, entries ordered as the safetensors library orders them: larger alignment first), then the data.
Prints the file as base64, as the test embeds it.
"""
import base64
import json
import struct

b = struct.pack('<3d', 0.5, -0.25, 2.0)
w = struct.pack('<6f', 1.5, -2.0, 3.25, 4.0, 5.0, -6.5)
header = {
    "__metadata__": {"format": "pt"},
    "l0/b": {"dtype": "F64", "shape": [3], "data_offsets": [0, len(b)]},
    "l0/W": {"dtype": "F32", "shape": [2, 3], "data_offsets": [len(b), len(b) + len(w)]},
}
text = json.dumps(header, separators=(',', ':')).encode()
text += b' ' * ((8 - len(text) % 8) % 8)
print(base64.b64encode(struct.pack('<Q', len(text)) + text + b + w).decode())
