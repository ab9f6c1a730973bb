#include "base/result.h"

#include <cstring>

namespace agentmux {

Error SysError(const std::string& what, int err) {
  return Error::Internal(what + ": " + std::strerror(err));
}

}  // namespace agentmux
