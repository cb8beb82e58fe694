// The JSON Schema of the doctor's report (draft 2020-12), schema version 1. This module is
// the source; docs/doctor-report.schema.json is its copy for readers, regenerated with
// `node dist/bin/aio-notify.js doctor --print-schema > docs/doctor-report.schema.json`
// (a test checks that the two agree). Documented in docs/doctor-json.md.
export const DOCTOR_REPORT_SCHEMA: Record<string, unknown> = {
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://aio-notify.invalid/schemas/doctor-report/v1.json",
  "title": "aio-notify doctor report, schema version 1",
  "description": "What `aio-notify doctor --json` prints. See docs/doctor-json.md.",
  "type": "object",
  "required": [
    "schemaVersion",
    "tool",
    "mode",
    "startedAt",
    "durationMs",
    "environment",
    "checks",
    "verdict",
    "exitCode"
  ],
  "additionalProperties": false,
  "properties": {
    "schemaVersion": {
      "const": 1
    },
    "tool": {
      "type": "object",
      "required": [
        "name",
        "version"
      ],
      "additionalProperties": false,
      "properties": {
        "name": {
          "const": "aio-notify"
        },
        "version": {
          "type": "string"
        }
      }
    },
    "mode": {
      "enum": [
        "quick",
        "full"
      ]
    },
    "startedAt": {
      "type": "string",
      "pattern": "^\\d{4}-\\d{2}-\\d{2}T"
    },
    "durationMs": {
      "type": "number",
      "minimum": 0
    },
    "environment": {
      "$ref": "#/$defs/environment"
    },
    "checks": {
      "type": "array",
      "items": {
        "$ref": "#/$defs/check"
      }
    },
    "verdict": {
      "enum": [
        "healthy",
        "unhealthy",
        "error"
      ]
    },
    "exitCode": {
      "enum": [
        0,
        1,
        2
      ]
    }
  },
  "$defs": {
    "nullableString": {
      "type": [
        "string",
        "null"
      ]
    },
    "environment": {
      "type": "object",
      "required": [
        "arch",
        "machine",
        "kernel",
        "cpuModel",
        "cores",
        "hypervisor",
        "emulation",
        "sanitizer",
        "cpuidle",
        "haltPoll",
        "node",
        "v8",
        "addon",
        "pid"
      ],
      "additionalProperties": false,
      "properties": {
        "arch": {
          "type": "string"
        },
        "machine": {
          "type": "string"
        },
        "kernel": {
          "type": "object",
          "required": [
            "release",
            "version"
          ],
          "additionalProperties": false,
          "properties": {
            "release": {
              "type": "string"
            },
            "version": {
              "type": "string"
            }
          }
        },
        "cpuModel": {
          "type": "string"
        },
        "cores": {
          "type": "object",
          "required": [
            "online",
            "available"
          ],
          "additionalProperties": false,
          "properties": {
            "online": {
              "type": "integer",
              "minimum": 0
            },
            "available": {
              "type": "integer",
              "minimum": 1
            }
          }
        },
        "hypervisor": {
          "type": "object",
          "required": [
            "present",
            "vendor",
            "source"
          ],
          "additionalProperties": false,
          "properties": {
            "present": {
              "type": "boolean"
            },
            "vendor": {
              "$ref": "#/$defs/nullableString"
            },
            "source": {
              "$ref": "#/$defs/nullableString"
            }
          }
        },
        "emulation": {
          "$ref": "#/$defs/nullableString"
        },
        "sanitizer": {
          "$ref": "#/$defs/nullableString"
        },
        "cpuidle": {
          "type": "object",
          "required": [
            "driver",
            "governor"
          ],
          "additionalProperties": false,
          "properties": {
            "driver": {
              "$ref": "#/$defs/nullableString"
            },
            "governor": {
              "$ref": "#/$defs/nullableString"
            }
          }
        },
        "haltPoll": {
          "type": "object",
          "additionalProperties": {
            "type": "string"
          }
        },
        "node": {
          "type": "string",
          "pattern": "^v\\d+"
        },
        "v8": {
          "type": "string"
        },
        "addon": {
          "type": "object",
          "required": [
            "version",
            "napi"
          ],
          "additionalProperties": false,
          "properties": {
            "version": {
              "type": "string"
            },
            "napi": {
              "$ref": "#/$defs/nullableString"
            }
          }
        },
        "pid": {
          "type": "integer",
          "minimum": 1
        }
      }
    },
    "interval": {
      "oneOf": [
        {
          "type": "null"
        },
        {
          "type": "array",
          "items": {
            "type": "number"
          },
          "minItems": 2,
          "maxItems": 2
        }
      ]
    },
    "latency": {
      "type": "object",
      "required": [
        "path",
        "side",
        "n",
        "min",
        "mean",
        "p50",
        "p90",
        "p99",
        "p999",
        "max",
        "p50Interval",
        "p99Interval",
        "late",
        "lost",
        "spurious",
        "boundMs",
        "elapsedMs",
        "truncated",
        "histogram"
      ],
      "additionalProperties": false,
      "properties": {
        "path": {
          "type": "string"
        },
        "side": {
          "enum": [
            "native",
            "js"
          ]
        },
        "n": {
          "type": "integer",
          "minimum": 0
        },
        "min": {
          "type": [
            "number",
            "null"
          ]
        },
        "mean": {
          "type": [
            "number",
            "null"
          ]
        },
        "p50": {
          "type": [
            "number",
            "null"
          ]
        },
        "p90": {
          "type": [
            "number",
            "null"
          ]
        },
        "p99": {
          "type": [
            "number",
            "null"
          ]
        },
        "p999": {
          "type": [
            "number",
            "null"
          ]
        },
        "max": {
          "type": [
            "number",
            "null"
          ]
        },
        "p50Interval": {
          "$ref": "#/$defs/interval"
        },
        "p99Interval": {
          "$ref": "#/$defs/interval"
        },
        "late": {
          "type": "integer",
          "minimum": 0
        },
        "lost": {
          "type": "integer",
          "minimum": 0
        },
        "spurious": {
          "type": [
            "integer",
            "null"
          ],
          "minimum": 0
        },
        "boundMs": {
          "type": "number",
          "minimum": 0
        },
        "elapsedMs": {
          "type": "number",
          "minimum": 0
        },
        "truncated": {
          "type": "boolean"
        },
        "histogram": {
          "type": "array",
          "items": {
            "type": "object",
            "required": [
              "fromUs",
              "toUs",
              "count"
            ],
            "additionalProperties": false,
            "properties": {
              "fromUs": {
                "type": "number"
              },
              "toUs": {
                "type": "number"
              },
              "count": {
                "type": "integer",
                "minimum": 0
              }
            }
          }
        }
      }
    },
    "rate": {
      "type": "object",
      "required": [
        "k",
        "n",
        "rate",
        "lo",
        "hi",
        "perMillion",
        "perMillionHi"
      ],
      "additionalProperties": false,
      "properties": {
        "k": {
          "type": "integer",
          "minimum": 0
        },
        "n": {
          "type": "integer",
          "minimum": 0
        },
        "rate": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        },
        "lo": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        },
        "hi": {
          "type": "number",
          "minimum": 0,
          "maximum": 1
        },
        "perMillion": {
          "type": "number",
          "minimum": 0
        },
        "perMillionHi": {
          "type": "number",
          "minimum": 0
        }
      }
    },
    "check": {
      "type": "object",
      "required": [
        "id",
        "number",
        "title",
        "verdict",
        "summary",
        "notes",
        "durationMs",
        "details"
      ],
      "additionalProperties": false,
      "properties": {
        "id": {
          "enum": [
            "wake-eventfd",
            "wake-sigio",
            "aio-race",
            "litmus",
            "replays"
          ]
        },
        "number": {
          "type": "integer",
          "minimum": 1,
          "maximum": 5
        },
        "title": {
          "type": "string"
        },
        "verdict": {
          "enum": [
            "pass",
            "warn",
            "fail",
            "skip",
            "error"
          ]
        },
        "summary": {
          "type": "string"
        },
        "notes": {
          "type": "array",
          "items": {
            "type": "string"
          }
        },
        "durationMs": {
          "type": "number",
          "minimum": 0
        },
        "details": {
          "type": "object"
        }
      },
      "allOf": [
        {
          "if": {
            "properties": {
              "verdict": {
                "enum": [
                  "pass",
                  "warn",
                  "fail"
                ]
              },
              "id": {
                "enum": [
                  "wake-eventfd",
                  "wake-sigio"
                ]
              }
            }
          },
          "then": {
            "properties": {
              "details": {
                "type": "object",
                "required": [
                  "native",
                  "js",
                  "pin",
                  "rounds"
                ],
                "properties": {
                  "native": {
                    "$ref": "#/$defs/latency"
                  },
                  "js": {
                    "$ref": "#/$defs/latency"
                  },
                  "jsHandler": {
                    "$ref": "#/$defs/latency"
                  },
                  "roads": {
                    "type": "object",
                    "additionalProperties": {
                      "enum": [
                        "sigwait",
                        "handler"
                      ]
                    }
                  },
                  "sameCpu": {
                    "$ref": "#/$defs/latency"
                  },
                  "crossCpu": {
                    "$ref": "#/$defs/latency"
                  },
                  "pin": {
                    "const": "none"
                  },
                  "rounds": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "jsOverhead": {
                    "type": "object",
                    "required": [
                      "p50Ratio",
                      "p99Ratio",
                      "p50DeltaUs"
                    ],
                    "properties": {
                      "p50Ratio": {
                        "type": [
                          "number",
                          "null"
                        ]
                      },
                      "p99Ratio": {
                        "type": [
                          "number",
                          "null"
                        ]
                      },
                      "p50DeltaUs": {
                        "type": [
                          "number",
                          "null"
                        ]
                      }
                    }
                  }
                }
              }
            }
          }
        },
        {
          "if": {
            "properties": {
              "verdict": {
                "enum": [
                  "pass",
                  "warn",
                  "fail"
                ]
              },
              "id": {
                "const": "aio-race"
              }
            }
          },
          "then": {
            "properties": {
              "details": {
                "type": "object",
                "required": [
                  "races",
                  "sleeps",
                  "kicks",
                  "lost",
                  "late",
                  "watchdogAlarms",
                  "boundMs",
                  "elapsedMs",
                  "truncated"
                ],
                "additionalProperties": false,
                "properties": {
                  "races": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "sleeps": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "kicks": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "lost": {
                    "$ref": "#/$defs/rate"
                  },
                  "late": {
                    "$ref": "#/$defs/rate"
                  },
                  "watchdogAlarms": {
                    "type": "integer",
                    "minimum": 0
                  },
                  "boundMs": {
                    "type": "number"
                  },
                  "elapsedMs": {
                    "type": "number"
                  },
                  "truncated": {
                    "type": "boolean"
                  }
                }
              }
            }
          }
        },
        {
          "if": {
            "properties": {
              "verdict": {
                "enum": [
                  "pass",
                  "warn",
                  "fail"
                ]
              },
              "id": {
                "const": "litmus"
              }
            }
          },
          "then": {
            "properties": {
              "details": {
                "type": "object",
                "required": [
                  "sb",
                  "control",
                  "correct"
                ],
                "additionalProperties": false,
                "properties": {
                  "sb": {
                    "type": "array",
                    "minItems": 3,
                    "maxItems": 3,
                    "items": {
                      "type": "object",
                      "required": [
                        "variant",
                        "iterations",
                        "reordered",
                        "pinned",
                        "cpus",
                        "elapsedMs"
                      ],
                      "additionalProperties": false,
                      "properties": {
                        "variant": {
                          "enum": [
                            "none",
                            "one-sided",
                            "both"
                          ]
                        },
                        "iterations": {
                          "type": "integer",
                          "minimum": 0
                        },
                        "reordered": {
                          "$ref": "#/$defs/rate"
                        },
                        "pinned": {
                          "type": "boolean"
                        },
                        "cpus": {
                          "type": "array",
                          "items": {
                            "type": "integer"
                          },
                          "minItems": 2,
                          "maxItems": 2
                        },
                        "elapsedMs": {
                          "type": "number"
                        }
                      }
                    }
                  },
                  "control": {
                    "type": "object",
                    "required": [
                      "races",
                      "sleeps",
                      "lost",
                      "late",
                      "firstLostMs",
                      "elapsedMs",
                      "lostRate",
                      "required"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "races": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "sleeps": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "lost": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "late": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "firstLostMs": {
                        "type": [
                          "number",
                          "null"
                        ]
                      },
                      "elapsedMs": {
                        "type": "number"
                      },
                      "lostRate": {
                        "$ref": "#/$defs/rate"
                      },
                      "required": {
                        "type": "boolean"
                      }
                    }
                  },
                  "correct": {
                    "type": "object",
                    "required": [
                      "races",
                      "sleeps",
                      "lost",
                      "late",
                      "elapsedMs",
                      "lostRate"
                    ],
                    "additionalProperties": false,
                    "properties": {
                      "races": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "sleeps": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "lost": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "late": {
                        "type": "integer",
                        "minimum": 0
                      },
                      "elapsedMs": {
                        "type": "number"
                      },
                      "lostRate": {
                        "$ref": "#/$defs/rate"
                      }
                    }
                  }
                }
              }
            }
          }
        },
        {
          "if": {
            "properties": {
              "verdict": {
                "enum": [
                  "pass",
                  "warn",
                  "fail"
                ]
              },
              "id": {
                "const": "replays"
              }
            }
          },
          "then": {
            "properties": {
              "details": {
                "type": "object",
                "required": [
                  "stallMs",
                  "scenarios"
                ],
                "additionalProperties": false,
                "properties": {
                  "stallMs": {
                    "type": "integer",
                    "minimum": 1
                  },
                  "scenarios": {
                    "type": "array",
                    "items": {
                      "type": "object",
                      "required": [
                        "id",
                        "commit",
                        "year",
                        "title",
                        "kind",
                        "expected",
                        "historical",
                        "fixed"
                      ],
                      "additionalProperties": false,
                      "properties": {
                        "id": {
                          "type": "string"
                        },
                        "commit": {
                          "type": "string"
                        },
                        "year": {
                          "type": "integer"
                        },
                        "title": {
                          "type": "string"
                        },
                        "kind": {
                          "enum": [
                            "bug",
                            "control"
                          ]
                        },
                        "expected": {
                          "type": "object",
                          "required": [
                            "verdict",
                            "cause"
                          ],
                          "additionalProperties": false,
                          "properties": {
                            "verdict": {
                              "enum": [
                                "lost",
                                "late"
                              ]
                            },
                            "cause": {
                              "type": "string"
                            }
                          }
                        },
                        "historical": {
                          "oneOf": [
                            {
                              "type": "null"
                            },
                            {
                              "type": "object",
                              "required": [
                                "pass",
                                "verdict",
                                "cause",
                                "pending",
                                "reason",
                                "durationMs"
                              ],
                              "additionalProperties": false,
                              "properties": {
                                "pass": {
                                  "type": "boolean"
                                },
                                "verdict": {
                                  "enum": [
                                    "ok",
                                    "lost",
                                    "late"
                                  ]
                                },
                                "cause": {
                                  "$ref": "#/$defs/nullableString"
                                },
                                "pending": {
                                  "type": "array",
                                  "items": {
                                    "enum": [
                                      "notified",
                                      "bottom-half",
                                      "fd-ready",
                                      "fd-unwatched",
                                      "app"
                                    ]
                                  }
                                },
                                "reason": {
                                  "type": "string"
                                },
                                "durationMs": {
                                  "type": "number"
                                }
                              }
                            }
                          ]
                        },
                        "fixed": {
                          "type": "object",
                          "required": [
                            "pass",
                            "verdict",
                            "cause",
                            "reason",
                            "durationMs"
                          ],
                          "additionalProperties": false,
                          "properties": {
                            "pass": {
                              "type": "boolean"
                            },
                            "verdict": {
                              "enum": [
                                "ok",
                                "lost",
                                "late"
                              ]
                            },
                            "cause": {
                              "$ref": "#/$defs/nullableString"
                            },
                            "reason": {
                              "type": "string"
                            },
                            "durationMs": {
                              "type": "number"
                            }
                          }
                        }
                      }
                    }
                  }
                }
              }
            }
          }
        }
      ]
    }
  }
};
