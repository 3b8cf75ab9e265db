from django.urls import path

from web.views import campaign_detail, campaign_list

urlpatterns = [
    path("", campaign_list, name="home"),
    path("campaigns/<slug:slug>/", campaign_detail, name="campaign-page"),
]
