// The per-process answer's one encoder: docs/protocol.md's shape, byte for byte.

#include "common/protocol/results.hpp"

#include <gtest/gtest.h>

using namespace konnect;

TEST(Results, EncodesOkFailedAndStatelessResults) {
  const ProcessResults results{
      {"web", State::Running, std::nullopt},
      {"db", State::Fatal, make_error(ErrorCode::SpawnError, "can't find command 'pg'")},
      {"log", std::nullopt, make_error(ErrorCode::Io, "cannot truncate")},
  };
  EXPECT_EQ(encode_results(results).dump(),
            R"({"processes":[{"name":"web","ok":true,"state":"RUNNING"},)"
            R"({"error":{"code":"SPAWN_ERROR","message":"can't find command 'pg'"},"name":"db","ok":false,"state":"FATAL"},)"
            R"({"error":{"code":"IO_ERROR","message":"cannot truncate"},"name":"log","ok":false}]})");
  EXPECT_EQ(encode_results({}).dump(), R"({"processes":[]})");
}
