"""Who may pull the feed, summaries and exports: a scoped API key, or a signed-in person whose
role allows it (`app.accounts.deps.allow`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.accounts.caller import Caller
from app.accounts.deps import allow

FeedCaller = Annotated[Caller, Depends(allow(scopes=("feed",), roles=("analyst",)))]
SummaryCaller = Annotated[Caller, Depends(allow(scopes=("feed",), roles=("analyst", "manager")))]
ReturnsCaller = Annotated[Caller, Depends(allow(scopes=("returns",), roles=("manager",)))]
