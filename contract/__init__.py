"""The one MQTT contract that the hub, the edge agent and the kiosk speak.

Nothing here does I/O over the network: topics, payload structs, the session
rules (bdSeq, seq) and the codec. The programs meet only through these formats.
"""

from contract.errors import ContractError, PayloadError, TopicError
from contract.version import CONTRACT_VERSION, TOPIC_ROOT

__all__ = ["CONTRACT_VERSION", "TOPIC_ROOT", "ContractError", "PayloadError", "TopicError"]
