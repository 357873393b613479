"""The waitlist: join one for a sold-out ticket type, see mine with my position, leave it.

Writes go through ``orders.services.waitlist``; an entry of another user is
a 404, never a 403.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders import selectors
from orders.serializers import WaitlistEntrySerializer, WaitlistJoinSerializer
from orders.services.waitlist import waitlist_join, waitlist_leave
from tixxety.ratelimits import rate_limit


def _entry_data(request, entry_id: int) -> dict:
    entry = selectors.waitlist_entry_list(user=request.user).get(pk=entry_id)
    return WaitlistEntrySerializer(entry).data


class EventWaitlistView(APIView):
    """Join the waitlist of an event's ticket type: only when the request does not fit what is on sale."""

    @rate_limit("booking")
    @extend_schema(
        request=WaitlistJoinSerializer,
        responses={201: WaitlistEntrySerializer},
        summary="Join the waitlist",
        description="409 `tickets_available` when the tickets can be booked now; "
        "409 `already_waiting` with an active entry for the type.",
    )
    def post(self, request, event_id):
        wanted = WaitlistJoinSerializer(data=request.data)
        wanted.is_valid(raise_exception=True)
        entry = waitlist_join(
            user=request.user,
            event_id=int(event_id),
            ticket_type_id=wanted.validated_data["ticket_type"],
            quantity=wanted.validated_data["quantity"],
        )
        return Response(_entry_data(request, entry.pk), status=status.HTTP_201_CREATED)


@extend_schema(summary="My waitlist")
class WaitlistView(generics.ListAPIView):
    """My waitlist entries, newest first, paginated like every list, with my position while waiting
    and the order when offered."""

    serializer_class = WaitlistEntrySerializer

    def get_queryset(self):
        return selectors.waitlist_entry_list(user=self.request.user)


class WaitlistEntryView(APIView):
    """One of my entries: leave the waitlist (an offered entry's order is cancelled too)."""

    @extend_schema(responses={204: None}, summary="Leave the waitlist")
    def delete(self, request, entry_id):
        waitlist_leave(entry_id=int(entry_id), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
